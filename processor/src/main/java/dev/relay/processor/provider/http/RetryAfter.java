package dev.relay.processor.provider.http;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reads a retry delay from response headers: {@code retry-after-ms} (OpenAI SDK), then {@code retry-after} as seconds
 * or as an HTTP date (RFC 9110 §10.2.3).
 */
public final class RetryAfter {

    private RetryAfter() {}

    public static Optional<Duration> fromHeaders(HttpHeaders headers, Instant now) {
        Optional<String> ms = headers.firstValue("retry-after-ms");
        if (ms.isPresent()) {
            try {
                return Optional.of(
                        Duration.ofMillis((long) Double.parseDouble(ms.get().trim())));
            } catch (NumberFormatException ignored) {
                // fall through to retry-after
            }
        }
        return headers.firstValue("retry-after").flatMap(v -> parse(v, now));
    }

    public static Optional<Duration> parse(String value, Instant now) {
        String v = value.trim();
        try {
            return Optional.of(Duration.ofMillis((long) (Double.parseDouble(v) * 1000)));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                Duration d = Duration.between(now, at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }

    /** Google's {@code RetryInfo.retryDelay}, a protobuf Duration in JSON ("30s", "1.5s"). */
    public static Optional<Duration> fromProtoDuration(String value) {
        if (value == null || !value.endsWith("s")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofMillis(
                    (long) (Double.parseDouble(value.substring(0, value.length() - 1)) * 1000)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
