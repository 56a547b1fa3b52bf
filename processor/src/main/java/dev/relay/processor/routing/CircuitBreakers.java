package dev.relay.processor.routing;

import dev.relay.config.CircuitBreakerSettings;
import dev.relay.processor.attempt.FailureClass;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One resilience4j circuit breaker per provider, over a count-based window of attempts ({@code circuit_breaker}).
 * Only provider-health failures ({@link #HEALTH_CLASSES}) count against a provider; a caller fault, a bad key or a
 * missing model says nothing about its health and counts as a call that the provider answered. State is exported as
 * the gauge {@value #STATE_GAUGE} (Prometheus {@code relay_circuit_breaker_state{provider}}; values as in
 * {@link CircuitBreaker.State#getOrder()}: 0 CLOSED, 1 OPEN, 2 HALF_OPEN, 3 DISABLED, 4 FORCED_OPEN, 5 METRICS_ONLY)
 * and every transition is logged (WARN when a breaker opens, INFO otherwise) and counted.
 *
 * <p>Open breakers move to HALF_OPEN lazily, on the first {@link #tryAcquire} after {@code wait_in_open}, so no timer
 * thread is needed. Thread-safe.
 */
public final class CircuitBreakers {

    public static final String STATE_GAUGE = "relay.circuit.breaker.state";
    public static final String TRANSITIONS_COUNTER = "relay.circuit.breaker.transitions";

    /** The classes that say the provider itself is unwell. */
    public static final Set<FailureClass> HEALTH_CLASSES = Set.copyOf(EnumSet.of(
            FailureClass.RATE_LIMITED, FailureClass.TRANSIENT, FailureClass.TIMEOUT, FailureClass.NETWORK));

    private static final Logger log = LoggerFactory.getLogger(CircuitBreakers.class);

    private final boolean enabled;
    private final CircuitBreakerRegistry registry;
    private final MeterRegistry meters;
    private final ConcurrentMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    public CircuitBreakers(CircuitBreakerSettings settings, MeterRegistry meters) {
        this(settings, meters, Clock.systemUTC());
    }

    /** With an explicit clock, so tests can pass {@code wait_in_open} without sleeping. */
    public CircuitBreakers(CircuitBreakerSettings settings, MeterRegistry meters, Clock clock) {
        this.enabled = settings.enabled();
        this.meters = meters;
        this.registry = CircuitBreakerRegistry.of(config(settings, clock));
    }

    static CircuitBreakerConfig config(CircuitBreakerSettings s, Clock clock) {
        // resilience4j refuses a wait below 1 ms; a configured 0 means "probe again at once".
        Duration wait = s.waitInOpen().compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : s.waitInOpen();
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(s.slidingWindowSize())
                .minimumNumberOfCalls(Math.min(s.minimumCalls(), s.slidingWindowSize()))
                .failureRateThreshold(s.failureRateThreshold())
                .waitDurationInOpenState(wait)
                .permittedNumberOfCallsInHalfOpenState(s.permittedInHalfOpen())
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .clock(clock)
                .build();
    }

    /** Creates the breakers (and their gauges) up front, so every provider's state is exported from start-up. */
    public CircuitBreakers register(Iterable<String> providers) {
        providers.forEach(this::breaker);
        return this;
    }

    /** Asks for a permit to call {@code provider}; false means the attempt is {@code SKIPPED_CIRCUIT_OPEN}. */
    public boolean tryAcquire(String provider) {
        return breaker(provider).tryAcquirePermission();
    }

    public void onSuccess(String provider, Duration latency) {
        breaker(provider).onSuccess(latency.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Records a failed call; only {@link #HEALTH_CLASSES} count as failures of the provider. */
    public void onFailure(String provider, FailureClass failure, Duration latency) {
        CircuitBreaker cb = breaker(provider);
        if (HEALTH_CLASSES.contains(failure)) {
            cb.onError(latency.toNanos(), TimeUnit.NANOSECONDS, new ProviderUnhealthy(provider, failure));
        } else if (failure == FailureClass.DEADLINE) {
            // The job ran out of time: nothing learned about the provider.
            cb.releasePermission();
        } else {
            // The provider answered (caller fault, key, model, filter): healthy as far as the breaker cares.
            cb.onSuccess(latency.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Gives back a permit that was acquired but not used (the job was cancelled, deadline, rebalance). */
    public void release(String provider) {
        breaker(provider).releasePermission();
    }

    /** CLOSED, OPEN, HALF_OPEN, DISABLED, FORCED_OPEN or METRICS_ONLY. */
    public String state(String provider) {
        return breaker(provider).getState().name();
    }

    private CircuitBreaker breaker(String provider) {
        CircuitBreaker existing = breakers.get(provider);
        return existing != null ? existing : breakers.computeIfAbsent(provider, this::create);
    }

    private CircuitBreaker create(String provider) {
        CircuitBreaker cb = registry.circuitBreaker(provider);
        if (!enabled) {
            cb.transitionToDisabledState();
        }
        Gauge.builder(STATE_GAUGE, cb, b -> b.getState().getOrder())
                .description("Circuit breaker state per provider: 0 closed, 1 open, 2 half-open, 3 disabled, "
                        + "4 forced open, 5 metrics only")
                .tag("provider", provider)
                .register(meters);
        cb.getEventPublisher().onStateTransition(e -> {
            CircuitBreaker.State to = e.getStateTransition().getToState();
            CircuitBreaker.State from = e.getStateTransition().getFromState();
            Counter.builder(TRANSITIONS_COUNTER).tag("provider", provider).tag("from", from.name())
                    .tag("to", to.name()).register(meters).increment();
            if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
                log.warn("circuit breaker for provider {} {} -> {} (failure rate {}%); its attempts are skipped",
                        provider, from, to, cb.getMetrics().getFailureRate());
            } else {
                log.info("circuit breaker for provider {} {} -> {}", provider, from, to);
            }
        });
        return cb;
    }

    /** The error recorded for a provider-health failure; no stack trace, it is a signal, not a bug. */
    static final class ProviderUnhealthy extends RuntimeException {
        ProviderUnhealthy(String provider, FailureClass failure) {
            super(provider + ": " + failure, null, false, false);
        }
    }
}
