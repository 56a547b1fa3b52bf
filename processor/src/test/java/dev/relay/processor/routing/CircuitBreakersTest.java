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
        return settings(CircuitBreakerSettings.Scope.PROVIDER, waitInOpen, 2);
    }

    static CircuitBreakerSettings settings(CircuitBreakerSettings.Scope scope, Duration waitInOpen, int trials) {
        // 50 % of a 10-call window, judged after 4 calls
        return new CircuitBreakerSettings(true, scope, 50, 10, 4, waitInOpen, trials);
    }

    private double gauge(String provider) {
        return meters.get(CircuitBreakers.STATE_GAUGE)
                .tag("provider", provider)
                .gauge()
                .value();
    }

    private double gauge(String provider, String model) {
        return meters.get(CircuitBreakers.STATE_GAUGE)
                .tag("provider", provider)
                .tag("model", model)
                .gauge()
                .value();
    }

    @Test
    void shouldOpenOnProviderFailuresAndHalfOpenAfterTheWait() {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofMillis(100)), meters);
        for (FailureClass c : new FailureClass[] {
            FailureClass.TRANSIENT, FailureClass.TIMEOUT, FailureClass.NETWORK, FailureClass.RATE_LIMITED
        }) {
            assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
            breakers.onFailure("openai", "m", c, LATENCY);
        }

        assertThat(breakers.state("openai", "m")).isEqualTo("OPEN");
        assertThat(gauge("openai")).isEqualTo(1.0);
        assertThat(breakers.tryAcquire("openai", "m", 1)).isFalse();

        // a short real wait: the breaker lets a trial call through once wait_in_open has passed
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> breakers.tryAcquire("openai", "m", 1));
        assertThat(breakers.state("openai", "m")).isEqualTo("HALF_OPEN");
        assertThat(gauge("openai")).isEqualTo(2.0);
        assertThat(meters.get(CircuitBreakers.TRANSITIONS_COUNTER)
                        .tag("provider", "openai")
                        .tag("to", "OPEN")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldCloseAfterSuccessfulTrialCallsAndReopenOnAFailedOne() {
        MutableClock clock = new MutableClock();
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters, clock);
        openIt(breakers, "anthropic");

        clock.advance(Duration.ofSeconds(31));
        assertThat(breakers.tryAcquire("anthropic", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("anthropic", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("anthropic", "m", 1))
                .as("only 2 trial calls in half-open")
                .isFalse();
        breakers.onSuccess("anthropic", "m", LATENCY);
        breakers.onSuccess("anthropic", "m", LATENCY);
        assertThat(breakers.state("anthropic", "m")).isEqualTo("CLOSED");
        assertThat(gauge("anthropic")).isZero();

        openIt(breakers, "anthropic");
        clock.advance(Duration.ofSeconds(31));
        assertThat(breakers.tryAcquire("anthropic", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("anthropic", "m", 1)).isTrue();
        breakers.onFailure("anthropic", "m", FailureClass.TRANSIENT, LATENCY);
        breakers.onFailure("anthropic", "m", FailureClass.TIMEOUT, LATENCY);
        assertThat(breakers.state("anthropic", "m")).isEqualTo("OPEN");
    }

    @ParameterizedTest
    @EnumSource(
            value = FailureClass.class,
            names = {
                "INVALID_REQUEST",
                "AUTH",
                "QUOTA",
                "MODEL_UNAVAILABLE",
                "CONTEXT_LENGTH",
                "CONTENT_FILTERED",
                "TRUNCATED",
                "DEADLINE",
                "INTERNAL"
            })
    void shouldNeverOpenOnFailuresThatSayNothingAboutProviderHealth(FailureClass c) {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters);
        for (int i = 0; i < 50; i++) {
            assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
            breakers.onFailure("openai", "m", c, LATENCY);
        }
        assertThat(breakers.state("openai", "m")).isEqualTo("CLOSED");
    }

    @Test
    void shouldKeepModelsOfOneProviderApartUnderTheModelScope() {
        CircuitBreakers breakers =
                new CircuitBreakers(settings(CircuitBreakerSettings.Scope.MODEL, Duration.ofSeconds(30), 1), meters);
        for (int i = 0; i < 4; i++) {
            assertThat(breakers.tryAcquire("openai", "gpt-4o", 1)).isTrue();
            breakers.onFailure("openai", "gpt-4o", FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.state("openai", "gpt-4o")).isEqualTo("OPEN");
        assertThat(breakers.tryAcquire("openai", "gpt-4o", 1)).isFalse();
        assertThat(breakers.tryAcquire("openai", "gpt-4o-mini", 1))
                .as("the same provider's other model")
                .isTrue();
        assertThat(breakers.state("openai", "gpt-4o-mini")).isEqualTo("CLOSED");
        assertThat(gauge("openai", "gpt-4o")).isEqualTo(1.0);
        assertThat(gauge("openai", "gpt-4o-mini")).isZero();
        assertThat(breakers.name("openai", "gpt-4o")).isEqualTo("openai/gpt-4o");
    }

    @Test
    void shouldShareOneBreakerAcrossModelsUnderTheProviderScope() {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters);
        for (int i = 0; i < 4; i++) {
            assertThat(breakers.tryAcquire("openai", "gpt-4o", 1)).isTrue();
            breakers.onFailure("openai", "gpt-4o", FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.tryAcquire("openai", "gpt-4o-mini", 1)).isFalse();
        assertThat(gauge("openai", CircuitBreakers.ANY_MODEL)).isEqualTo(1.0);
        assertThat(breakers.name("openai", "gpt-4o")).isEqualTo("openai");
    }

    @Test
    void shouldNeverSpendAHalfOpenTrialOnARetry() {
        MutableClock clock = new MutableClock();
        CircuitBreakers breakers = new CircuitBreakers(
                settings(CircuitBreakerSettings.Scope.MODEL, Duration.ofSeconds(10), 3), meters, clock);
        openIt(breakers, "openai");
        clock.advance(Duration.ofSeconds(11));

        assertThat(breakers.tryAcquire("openai", "m", 1))
                .as("a job's first attempt is a trial")
                .isTrue();
        breakers.onFailure("openai", "m", FailureClass.TRANSIENT, LATENCY);
        assertThat(breakers.state("openai", "m")).isEqualTo("HALF_OPEN");
        assertThat(breakers.tryAcquire("openai", "m", 2))
                .as("its retry is not a further trial")
                .isFalse();
        assertThat(breakers.tryAcquire("openai", "m", 3)).isFalse();
        // the two trials the retries did not take are still there for other jobs
        assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("openai", "m", 1)).isFalse();
    }

    @Test
    void shouldCloseOnOneSuccessfulTrialAtTheDefaults() {
        MutableClock clock = new MutableClock();
        CircuitBreakerSettings defaults = new dev.relay.config.ConfigLoader(n -> java.util.Optional.empty())
                .parse("{}", "t")
                .circuitBreaker();
        assertThat(defaults.scope()).isEqualTo(CircuitBreakerSettings.Scope.MODEL);
        assertThat(defaults.waitInOpen())
                .as("well below the 30 s a recovered primary may wait")
                .isLessThanOrEqualTo(Duration.ofSeconds(10));
        CircuitBreakers breakers = new CircuitBreakers(defaults, meters, clock);
        for (int i = 0; i < defaults.minimumCalls(); i++) {
            assertThat(breakers.tryAcquire("fake", "a", 1)).isTrue();
            breakers.onFailure("fake", "a", FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.state("fake", "a")).isEqualTo("OPEN");
        clock.advance(defaults.waitInOpen().plusMillis(1));
        assertThat(breakers.tryAcquire("fake", "a", 1)).isTrue();
        assertThat(breakers.tryAcquire("fake", "a", 1)).as("one trial call").isFalse();
        breakers.onSuccess("fake", "a", LATENCY);
        assertThat(breakers.state("fake", "a")).isEqualTo("CLOSED");
    }

    @Test
    void shouldKeepProvidersApart() {
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(30)), meters);
        openIt(breakers, "openai");
        assertThat(breakers.tryAcquire("gemini", "m", 1)).isTrue();
        assertThat(breakers.state("gemini", "m")).isEqualTo("CLOSED");
        assertThat(gauge("gemini")).isZero();
        assertThat(gauge("openai")).isEqualTo(1.0);
    }

    @Test
    void shouldReleaseUnusedHalfOpenPermits() {
        MutableClock clock = new MutableClock();
        CircuitBreakers breakers = new CircuitBreakers(settings(Duration.ofSeconds(1)), meters, clock);
        openIt(breakers, "openai");
        clock.advance(Duration.ofSeconds(2));
        assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
        assertThat(breakers.tryAcquire("openai", "m", 1)).isFalse();
        breakers.release("openai", "m");
        assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
    }

    @Test
    void shouldNeverSkipWhenDisabled() {
        CircuitBreakerSettings off = new CircuitBreakerSettings(
                false, CircuitBreakerSettings.Scope.MODEL, 50, 10, 4, Duration.ofSeconds(30), 2);
        CircuitBreakers breakers = new CircuitBreakers(off, meters);
        for (int i = 0; i < 50; i++) {
            assertThat(breakers.tryAcquire("openai", "m", 1)).isTrue();
            breakers.onFailure("openai", "m", FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.state("openai", "m")).isEqualTo("DISABLED");
        assertThat(gauge("openai")).isEqualTo(3.0);
    }

    private static void openIt(CircuitBreakers breakers, String provider) {
        for (int i = 0; i < 4; i++) {
            assertThat(breakers.tryAcquire(provider, "m", 1)).isTrue();
            breakers.onFailure(provider, "m", FailureClass.TRANSIENT, LATENCY);
        }
        assertThat(breakers.state(provider, "m")).isEqualTo("OPEN");
        assertThat(breakers.tryAcquire(provider, "m", 1)).isFalse();
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
