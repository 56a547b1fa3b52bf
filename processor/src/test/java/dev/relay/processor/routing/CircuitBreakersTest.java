package dev.relay.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.config.CircuitBreakerSettings;
import dev.relay.processor.attempt.FailureClass;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CircuitBreakersTest {

    private static final Duration LATENCY = Duration.ofMillis(20);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    static CircuitBreakerSettings settings(Duration waitInOpen) {
        // 50 % of a 10-call window, judged after 4 calls; 2 trial calls in half-open
        return new CircuitBreakerSettings(true, 50, 10, 4, waitInOpen, 2);
    }

    private double gauge(String provider) {
        return meters.get(CircuitBreakers.STATE_GAUGE).tag("provider", provider).gauge().value();
    }

    @Test
    void shouldOpenOnProviderFailuresAndHalfOpenAfterTheWait() {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofMillis(100)), meters);
        for (FailureClass c : new FailureClass[] {FailureClass.TRANSIENT, FailureClass.TIMEOUT,
                FailureClass.NETWORK, FailureClass.RATE_LIMITED}) {
            assertThat(breakers.tryAcquire("openai")).isTrue();
            breakers.onFailure("openai", c, LATENCY);
        }

        assertThat(breakers.state("openai")).isEqualTo("OPEN");
        assertThat(gauge("openai")).isEqualTo(1.0);
        assertThat(breakers.tryAcquire("openai")).isFalse();

        // a short real wait: the breaker lets a trial call through once wait_in_open has passed
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> breakers.tryAcquire("openai"));
        assertThat(breakers.state("openai")).isEqualTo("HALF_OPEN");
        assertThat(gauge("openai")).isEqualTo(2.0);
        assertThat(meters.get(CircuitBreakers.TRANSITIONS_COUNTER).tag("provider", "openai").tag("to", "OPEN")
                .counter().count()).isEqualTo(1.0);
    }

    @Test
    void shouldCloseAfterSuccessfulTrialCallsAndReopenOnAFailedOne() {
        MutableClock clock = new MutableClock();
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters, clock);
        openIt(breakers, "anthropic");

        clock.advance(Duration.ofSeconds(31));
        assertThat(breakers.tryAcquire("anthropic")).isTrue();
        assertThat(breakers.tryAcquire("anthropic")).isTrue();
        assertThat(breakers.tryAcquire("anthropic")).as("only 2 trial calls in half-open").isFalse();
        breakers.onSuccess("anthropic", LATENCY);
        breakers.onSuccess("anthropic", LATENCY);
        assertThat(breakers.state("anthropic")).isEqualTo("CLOSED");
        assertThat(gauge("anthropic")).isZero();

        openIt(breakers, "anthropic");
        clock.advance(Duration.ofSeconds(31));
        assertThat(breakers.tryAcquire("anthropic")).isTrue();
        assertThat(breakers.tryAcquire("anthropic")).isTrue();
        breakers.onFailure("anthropic", FailureClass.TRANSIENT, LATENCY);
        breakers.onFailure("anthropic", FailureClass.TIMEOUT, LATENCY);
        assertThat(breakers.state("anthropic")).isEqualTo("OPEN");
    }

    @ParameterizedTest
    @EnumSource(value = FailureClass.class, names = {"INVALID_REQUEST", "AUTH", "QUOTA", "MODEL_UNAVAILABLE",
            "CONTEXT_LENGTH", "CONTENT_FILTERED", "TRUNCATED", "DEADLINE"})
    void shouldNeverOpenOnFailuresThatSayNothingAboutProviderHealth(FailureClass c) {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters);
        for (int i = 0; i < 50; i++) {
            assertThat(breakers.tryAcquire("openai")).isTrue();
            breakers.onFailure("openai", c, LATENCY);
        }
        assertThat(breakers.state("openai")).isEqualTo("CLOSED");
    }

    @Test
    void shouldExportEveryRegisteredProviderFromStartUp() {
        new CircuitBreakers(settings(Duration.ofSeconds(30)), meters).register(java.util.List.of("openai", "mock"));
        assertThat(gauge("openai")).isZero();
        assertThat(gauge("mock")).isZero();
    }

    @Test
    void shouldKeepProvidersApart() {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters);
        openIt(breakers, "openai");
        assertThat(breakers.tryAcquire("gemini")).isTrue();
        assertThat(breakers.state("gemini")).isEqualTo("CLOSED");
        assertThat(gauge("gemini")).isZero();
        assertThat(gauge("openai")).isEqualTo(1.0);
    }

    @Test
    void shouldReleaseUnusedHalfOpenPermits() {
        MutableClock clock = new MutableClock();
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(1)), meters, clock);
        openIt(breakers, "openai");
        clock.advance(Duration.ofSeconds(2));
        assertThat(breakers.tryAcquire("openai")).isTrue();
        assertThat(breakers.tryAcquire("openai")).isTrue();
        assertThat(breakers.tryAcquire("openai")).isFalse();
        breakers.release("openai");
        assertThat(breakers.tryAcquire("openai")).isTrue();
    }

    @Test
    void shouldNeverSkipWhenDisabled() {
        CircuitBreakerSettings off = new CircuitBreakerSettings(false, 50, 10, 4, Duration.ofSeconds(30), 2);
        CircuitBreakers breakers = new CircuitBreakers(off, meters);
        for (int i = 0; i < 50; i++) {
            assertThat(breakers.tryAcquire("openai")).isTrue();
            breakers.onFailure("openai", FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.state("openai")).isEqualTo("DISABLED");
        assertThat(gauge("openai")).isEqualTo(3.0);
    }

    private static void openIt(CircuitBreakers breakers, String provider) {
        for (int i = 0; i < 4; i++) {
            assertThat(breakers.tryAcquire(provider)).isTrue();
            breakers.onFailure(provider, FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.state(provider)).isEqualTo("OPEN");
        assertThat(breakers.tryAcquire(provider)).isFalse();
    }

    /** A clock the test moves by hand, so wait_in_open passes without sleeping. */
    static final class MutableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
