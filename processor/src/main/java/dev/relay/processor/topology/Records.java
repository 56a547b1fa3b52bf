package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the records the topology writes: audit records, results, failed jobs, next-hop jobs. */
final class Records {

    private Records() {}

    /** One finished (or skipped) attempt, before it becomes a summary and an audit record. */
    record Attempt(
            int hop,
            int number,
            String provider,
            String model,
            String keyName,
            long startedAt,
            long latencyMs,
            OutcomeClass outcome,
            Integer httpStatus,
            String errorType,
            String errorCode,
            String errorMessage,
            AttemptOutcome.Usage usage,
            Tier tier) {

        /** A real-time attempt. */
        Attempt(
                int hop,
                int number,
                String provider,
                String model,
                String keyName,
                long startedAt,
                long latencyMs,
                OutcomeClass outcome,
                Integer httpStatus,
                String errorType,
                String errorCode,
                String errorMessage,
                AttemptOutcome.Usage usage) {
            this(
                    hop,
                    number,
                    provider,
                    model,
                    keyName,
                    startedAt,
                    latencyMs,
                    outcome,
                    httpStatus,
                    errorType,
                    errorCode,
                    errorMessage,
                    usage,
                    Tier.REALTIME);
        }
    }

    /**
     * How an attempt was served: {@code realtime} (one call) or {@code batch} (an item of a provider batch, whose id
     * the provider gave; null when the batch was never created).
     */
    record Tier(String serviceTier, String providerBatchId) {
        static final Tier REALTIME = new Tier("realtime", null);

        static Tier batch(String providerBatchId) {
            return new Tier("batch", providerBatchId);
        }
    }

    static AttemptSummary summary(Attempt a, Decision decision, int generation) {
        return AttemptSummary.newBuilder()
                .setHop(a.hop())
                .setAttempt(a.number())
                .setProvider(a.provider())
                .setModel(a.model())
                .setKeyName(a.keyName())
                .setOutcome(a.outcome())
                .setHttpStatus(a.httpStatus())
                .setErrorType(a.errorType())
                .setErrorCode(a.errorCode())
                .setErrorMessage(a.errorMessage())
                .setStartedAt(Instant.ofEpochMilli(a.startedAt()))
                .setLatencyMs(a.latencyMs())
                .setDecision(decision)
                .setReplayGeneration(generation)
                .setServiceTier(a.tier().serviceTier())
                .setProviderBatchId(a.tier().providerBatchId())
                .build();
    }

    static AttemptRecord audit(Job job, Attempt a, Decision decision) {
        AttemptOutcome.Usage u = a.usage() == null ? AttemptOutcome.Usage.NONE : a.usage();
        return AttemptRecord.newBuilder()
                .setJobId(job.getJobId())
                .setHop(a.hop())
                .setAttempt(a.number())
                .setProvider(a.provider())
                .setModel(a.model())
                .setKeyName(a.keyName())
                .setStartedAt(Instant.ofEpochMilli(a.startedAt()))
                .setEndedAt(Instant.ofEpochMilli(a.startedAt() + a.latencyMs()))
                .setLatencyMs(a.latencyMs())
                .setOutcome(a.outcome())
                .setHttpStatus(a.httpStatus())
                .setErrorType(a.errorType())
                .setErrorCode(a.errorCode())
                .setErrorMessage(a.errorMessage())
                .setPromptTokens(u.promptTokens())
                .setCompletionTokens(u.completionTokens())
                .setTotalTokens(u.totalTokens())
                .setDecision(decision)
                .setReplayGeneration(job.getReplayGeneration())
                .setTenant(job.getTenant())
                .setBatchId(job.getBatchId())
                .setServiceTier(a.tier().serviceTier())
                .setProviderBatchId(a.tier().providerBatchId())
                .build();
    }

    static Job withAttempt(Job job, AttemptSummary s) {
        List<AttemptSummary> all = new ArrayList<>(job.getAttempts());
        all.add(s);
        return Job.newBuilder(job).setAttempts(all).build();
    }

    static Job nextHop(Job job) {
        return Job.newBuilder(job).setHop(job.getHop() + 1).build();
    }

    static JobResult succeeded(Job job, String completionJson, int hop, long now) {
        var target = job.getChain().get(hop);
        return base(job, now)
                .setStatus(JobStatus.SUCCEEDED)
                .setResponseJson(completionJson)
                .setProvider(target.getProvider())
                .setModel(target.getModel())
                .setHop(hop)
                .build();
    }

    static JobResult failed(Job job, ErrorInfo error, long now) {
        var primary = job.getChain().get(0);
        return base(job, now)
                .setStatus(JobStatus.FAILED)
                .setError(error)
                .setProvider(primary.getProvider())
                .setModel(primary.getModel())
                .setHop(0)
                .build();
    }

    static FailedJob failedJob(Job job, String reason, ErrorInfo error, OutcomeClass finalOutcome, long now) {
        Job asSubmitted = Job.newBuilder(job).setHop(0).build();
        return FailedJob.newBuilder()
                .setJob(asSubmitted)
                .setAttempts(job.getAttempts())
                .setTerminalReason(reason)
                .setFinalOutcome(finalOutcome)
                .setError(error)
                .setFailedAt(Instant.ofEpochMilli(now))
                .build();
    }

    private static JobResult.Builder base(Job job, long now) {
        return JobResult.newBuilder()
                .setJobId(job.getJobId())
                .setSubmittedAt(job.getSubmittedAt())
                .setCompletedAt(Instant.ofEpochMilli(now))
                .setTotalLatencyMs(Math.max(0, now - job.getSubmittedAt().toEpochMilli()))
                // attempts lists every generation's tries; the count is this generation's
                .setAttemptCount((int) job.getAttempts().stream()
                        .filter(a -> a.getReplayGeneration() == job.getReplayGeneration())
                        .count())
                .setAttempts(job.getAttempts())
                .setReplayGeneration(job.getReplayGeneration())
                .setTenant(job.getTenant())
                .setBatchId(job.getBatchId())
                .setCustomId(job.getCustomId())
                .setCallbackUrl(job.getCallbackUrl())
                .setMetadata(job.getMetadata());
    }

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
