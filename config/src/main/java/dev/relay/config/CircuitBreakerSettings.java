package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/** Relay's {@code circuit_breaker} section: one breaker per provider, over a count-based window of attempts. */
public record CircuitBreakerSettings(boolean enabled, float failureRateThreshold, int slidingWindowSize,
        int minimumCalls, Duration waitInOpen, int permittedInHalfOpen) {

    static CircuitBreakerSettings read(Node n) {
        return new CircuitBreakerSettings(
                n.get("enabled").bool(true),
                (float) n.get("failure_rate_threshold").number(50, 1, 100),
                n.get("sliding_window_size").integer(50, 1, 100_000),
                n.get("minimum_calls").integer(20, 1, 100_000),
                n.get("wait_in_open").duration(Duration.ofSeconds(30), ChronoUnit.SECONDS),
                n.get("permitted_in_half_open").integer(3, 1, 1000));
    }
}
