package dev.relay.config;

import java.util.Objects;

/**
 * A secret value (an API key, a webhook signing secret). {@link #toString()} never shows the value, only where it came
 * from ({@code env.OPENAI_API_KEY}), so a Secret can be logged, printed in errors and put in records safely.
 */
public final class Secret {

    private final String value;
    private final String source;

    private Secret(String value, String source) {
        this.value = Objects.requireNonNull(value, "value");
        this.source = Objects.requireNonNull(source, "source");
    }

    /** A secret resolved from an environment variable; {@code source} names the variable. */
    public static Secret fromEnv(String variable, String value) {
        return new Secret(value, "env." + variable);
    }

    /** A secret written literally in the config file. */
    public static Secret literal(String value) {
        return new Secret(value, "literal");
    }

    /** The value itself: pass it to the wire only, never to a log, record or error. */
    public String reveal() {
        return value;
    }

    /** Where the value came from, safe to print. */
    public String source() {
        return source;
    }

    /** Whether {@code candidate} equals the value, in time independent of where they differ. */
    public boolean matches(String candidate) {
        return candidate != null
                && java.security.MessageDigest.isEqual(
                        value.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        candidate.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Secret[" + source + ", redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.value.equals(value) && s.source.equals(source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, source);
    }
}
