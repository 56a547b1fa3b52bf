package dev.relay.ingress.http;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The sync wait: {@code ingress.sync_timeout}, or per request {@code x-relay-timeout: 30s | 500ms | 2m | 30}. */
public final class Timeouts {

    public static final String HEADER = "x-relay-timeout";
    private static final Pattern VALUE = Pattern.compile("(\\d{1,9})(ms|s|m)?");
    private final Duration defaultTimeout;
    private final Duration max;

    public Timeouts(Duration defaultTimeout) {
        this.defaultTimeout = defaultTimeout;
        this.max = defaultTimeout.compareTo(Duration.ofMinutes(15)) > 0 ? defaultTimeout : Duration.ofMinutes(15);
    }

    public Duration resolve(String header) {
        if (header == null || header.isBlank()) {
            return defaultTimeout;
        }
        Matcher m = VALUE.matcher(header.trim());
        if (!m.matches()) {
            throw ApiException.invalid(
                    HEADER,
                    "invalid_header",
                    HEADER + " must be a duration such as 30s, 500ms, 2m or a number of seconds; got '" + header + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration d = switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
        if (d.isZero() || d.compareTo(max) > 0) {
            throw ApiException.invalid(HEADER, "invalid_header", HEADER + " must be above 0 and at most " + max);
        }
        return d;
    }
}
