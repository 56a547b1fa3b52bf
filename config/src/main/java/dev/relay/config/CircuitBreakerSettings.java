package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * Relay's {@code circuit_breaker} section: one breaker per {@link Scope} (a provider's model by default, or the whole
 * provider), over a count-based window of attempts.
 */
public record CircuitBreakerSettings(
        boolean enabled,
        Scope scope,
        float failureRateThreshold,
        int slidingWindowSize,
        int minimumCalls,
        Duration waitInOpen,
        int permittedInHalfOpen) {

    /** Short enough that traffic is back on a recovered primary well within 30 s. */
    public static final Duration DEFAULT_WAIT_IN_OPEN = Duration.ofSeconds(10);

    /** What one breaker covers. */
    public enum Scope {
        /** One breaker per provider and model: an overloaded model never blocks its provider's other models. */
        MODEL,
        /** One breaker per provider, whatever the model. */
        PROVIDER
    }

    static CircuitBreakerSettings read(Node n) {
        Node scope = n.get("scope");
        String s = scope.string("model");
        Scope parsed = switch (s) {
            case "model" -> Scope.MODEL;
            case "provider" -> Scope.PROVIDER;
            default -> throw scope.error("expected \"model\" or \"provider\", got \"" + s + "\"");
        };
        return new CircuitBreakerSettings(
                n.get("enabled").bool(true),
                parsed,
                (float) n.get("failure_rate_threshold").number(50, 1, 100),
                n.get("sliding_window_size").integer(50, 1, 100_000),
                n.get("minimum_calls").integer(20, 1, 100_000),
                n.get("wait_in_open").duration(DEFAULT_WAIT_IN_OPEN, ChronoUnit.SECONDS),
                n.get("permitted_in_half_open").integer(1, 1, 1000));
    }
}
