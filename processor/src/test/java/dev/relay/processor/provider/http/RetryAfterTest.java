package dev.relay.processor.provider.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2026-11-24T21:00:00Z");

    static HttpHeaders headers(Map<String, String> h) {
        return HttpHeaders.of(
                h.entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> List.of(e.getValue()))),
                (a, b) -> true);
    }

    @Test
    void shouldReadSecondsHttpDateAndMillis() {
        assertThat(RetryAfter.fromHeaders(headers(Map.of("retry-after", "7")), NOW))
                .contains(Duration.ofSeconds(7));
        assertThat(RetryAfter.fromHeaders(headers(Map.of("retry-after", "Tue, 24 Nov 2026 21:00:30 GMT")), NOW))
                .contains(Duration.ofSeconds(30));
        assertThat(RetryAfter.fromHeaders(headers(Map.of("retry-after-ms", "1500", "retry-after", "9")), NOW))
                .contains(Duration.ofMillis(1500));
        assertThat(RetryAfter.fromHeaders(headers(Map.of("retry-after", "soon")), NOW))
                .isEmpty();
        assertThat(RetryAfter.fromHeaders(headers(Map.of()), NOW)).isEmpty();
    }

    @Test
    void shouldReadGoogleProtoDurations() {
        assertThat(RetryAfter.fromProtoDuration("30s")).contains(Duration.ofSeconds(30));
        assertThat(RetryAfter.fromProtoDuration("1.5s")).contains(Duration.ofMillis(1500));
        assertThat(RetryAfter.fromProtoDuration("soon")).isEmpty();
    }

    @Test
    void shouldRedactKeysFromText() {
        String key = "sk-relay-secret-0123456789";
        assertThat(Redactor.redact("bad key " + key + " given", key))
                .doesNotContain(key)
                .contains("[redacted]");
        assertThat(Redactor.redact("Incorrect API key provided: sk-proj-abc***xyz1", "other"))
                .doesNotContain("sk-proj");
        assertThat(Redactor.redact("key AIzaSyA1234567890abcdefghij is invalid", null))
                .doesNotContain("AIza");
    }
}
