package dev.relay.processor.attempt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** How one provider call ended. Adapters return these for every expected failure and throw only for bugs. */
public sealed interface AttemptOutcome permits AttemptOutcome.Success, AttemptOutcome.Failure {

    /** Token counts as the provider reported them; null where it reported none. */
    record Usage(Integer promptTokens, Integer completionTokens, Integer totalTokens) {
        public static final Usage NONE = new Usage(null, null, null);
    }

    /**
     * The provider answered. {@code completion} is an OpenAI {@code chat.completion} object whatever the provider's
     * dialect (choices, message, tool_calls with JSON-string arguments, finish_reason, usage).
     */
    record Success(ObjectNode completion, int httpStatus, Usage usage) implements AttemptOutcome {}

    /**
     * The call failed. {@code httpStatus} is empty for timeouts and network errors. {@code errorType},
     * {@code errorCode} and {@code message} come from the provider's error body where it had one (never with a key
     * in them). {@code allowFallbacks} false stops the chain (fault-injection rules can set it).
     */
    record Failure(
            FailureClass failureClass,
            OptionalInt httpStatus,
            String errorType,
            String errorCode,
            String message,
            Optional<Duration> retryAfter,
            boolean allowFallbacks)
            implements AttemptOutcome {

        public static Failure of(
                FailureClass failureClass, Integer httpStatus, String errorType, String errorCode, String message) {
            return new Failure(
                    failureClass,
                    httpStatus == null ? OptionalInt.empty() : OptionalInt.of(httpStatus),
                    errorType,
                    errorCode,
                    message,
                    Optional.empty(),
                    true);
        }

        public Failure withRetryAfter(Duration retryAfter) {
            return new Failure(
                    failureClass,
                    httpStatus,
                    errorType,
                    errorCode,
                    message,
                    Optional.ofNullable(retryAfter),
                    allowFallbacks);
        }

        public Failure withAllowFallbacks(boolean allow) {
            return new Failure(failureClass, httpStatus, errorType, errorCode, message, retryAfter, allow);
        }
    }
}
