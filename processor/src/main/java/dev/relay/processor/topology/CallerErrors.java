package dev.relay.processor.topology;

import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;

/** Builds the {@link ErrorInfo} a failed job carries: the caller's error, and the defaults an outcome class implies. */
final class CallerErrors {

    /** OpenAI's error code of a batch item that ended because its batch was cancelled. */
    static final String BATCH_CANCELLED = "batch_cancelled";

    private CallerErrors() {}

    /**
     * The error the caller gets when the chain fails: the primary's original error (Bifrost's rule); if the breaker
     * skipped the primary, the first real error; if nothing was really tried, {@code fallback}.
     */
    static ErrorInfo callerError(Job job, ErrorInfo fallback) {
        AttemptSummary chosen = null;
        for (AttemptSummary s : job.getAttempts()) {
            // a replayed job carries earlier generations' attempts; the caller gets this generation's primary error
            if (s.getReplayGeneration() != job.getReplayGeneration()) {
                continue;
            }
            if (s.getOutcome() != OutcomeClass.CIRCUIT_OPEN && s.getOutcome() != OutcomeClass.SUCCESS) {
                if (s.getHop() == 0) {
                    chosen = s;
                    break;
                }
                if (chosen == null) {
                    chosen = s;
                }
            }
        }
        return chosen == null
                ? fallback
                : error(
                        chosen.getOutcome(),
                        chosen.getHttpStatus(),
                        chosen.getErrorType(),
                        chosen.getErrorCode(),
                        chosen.getErrorMessage());
    }

    static ErrorInfo error(OutcomeClass outcome, Integer status, String type, String code, String message) {
        return ErrorInfo.newBuilder()
                .setHttpStatus(status != null ? status : defaultStatus(outcome))
                .setType(type != null ? type : defaultType(outcome))
                .setCode(code)
                .setMessage(message != null ? message : outcome.name().toLowerCase(java.util.Locale.ROOT))
                .setOutcome(outcome)
                .build();
    }

    static int defaultStatus(OutcomeClass c) {
        return switch (c) {
            case RATE_LIMITED -> 429;
            case QUOTA -> 402;
            case AUTH -> 401;
            case MODEL_UNAVAILABLE -> 404;
            case CONTEXT_LENGTH, CONTENT_FILTERED, INVALID_REQUEST -> 400;
            case TIMEOUT, DEADLINE -> 504;
            case NETWORK, TRUNCATED -> 502;
            case CIRCUIT_OPEN, TRANSIENT -> 503;
            default -> 500;
        };
    }

    private static String defaultType(OutcomeClass c) {
        return switch (c) {
            case INVALID_REQUEST, CONTEXT_LENGTH, CONTENT_FILTERED -> "invalid_request_error";
            case AUTH -> "authentication_error";
            case RATE_LIMITED, QUOTA -> "rate_limit_error";
            case DEADLINE, TIMEOUT -> "timeout_error";
            default -> "api_error";
        };
    }
}
