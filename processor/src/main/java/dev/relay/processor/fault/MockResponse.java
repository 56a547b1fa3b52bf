package dev.relay.processor.fault;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.random.RandomGenerator;

/**
 * One of a rule's {@code responses}: either a canned success ({@link SuccessContent}) or a canned error
 * ({@link ErrorContent}), chosen by {@code weight}. {@code allowFallbacks} false stops the chain (Bifrost's
 * {@code allow_fallbacks}; absent means true).
 */
record MockResponse(double weight, SuccessContent success, ErrorContent error, boolean allowFallbacks) {

    record Usage(int promptTokens, int completionTokens, int totalTokens) {}

    /** Bifrost's {@code content}: the message (or a template with {@code {{provider}}}/{@code {{model}}}). */
    record SuccessContent(String message, String messageTemplate, String model, Usage usage, String finishReason) {}

    /** Bifrost's {@code error}; {@code retryAfter} is Relay's addition, to rehearse Retry-After handling. */
    record ErrorContent(String message, String type, String code, int statusCode, Optional<Duration> retryAfter) {}

    boolean isError() {
        return error != null;
    }

    AttemptOutcome toOutcome(String provider, String model, RandomGenerator random) {
        if (error != null) {
            FailureClass c = Classifier.classify(error.statusCode(), error.type(), error.code(), error.message());
            return new AttemptOutcome.Failure(
                    c,
                    OptionalInt.of(error.statusCode()),
                    error.type(),
                    error.code(),
                    error.message(),
                    error.retryAfter(),
                    allowFallbacks);
        }
        ObjectNode completion = CannedCompletion.build(success, provider, model, random);
        Usage u = success.usage();
        return new AttemptOutcome.Success(
                completion, 200, new AttemptOutcome.Usage(u.promptTokens(), u.completionTokens(), u.totalTokens()));
    }
}
