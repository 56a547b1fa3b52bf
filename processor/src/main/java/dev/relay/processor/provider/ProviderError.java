package dev.relay.processor.provider;

import java.time.Duration;
import java.util.Optional;

/**
 * A provider's error body reduced to what the {@link dev.relay.processor.attempt.Classifier} needs: the provider's own
 * type, code and message (any may be null), and a retry delay the body itself carried (Gemini's {@code RetryInfo}).
 */
public record ProviderError(String type, String code, String message, Optional<Duration> retryAfter) {

    public static ProviderError of(String type, String code, String message) {
        return new ProviderError(type, code, message, Optional.empty());
    }
}
