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
 * One resilience4j circuit breaker per provider and model, or per provider ({@code circuit_breaker.scope}), over a
 * count-based window of attempts. Under the default scope {@code model}, an overloaded model never blocks another
 * model of the same provider (its fallback, say). Only provider-health failures ({@link #HEALTH_CLASSES}) count
 * against a breaker; a caller fault, a bad key or a missing model says nothing about its health and counts as a call
 * that the provider answered. State is exported as the gauge {@value #STATE_GAUGE} (Prometheus
 * {@code relay_circuit_breaker_state{provider,model}}, model {@value #ANY_MODEL} under the provider scope; values as
 * in {@link CircuitBreaker.State#getOrder()}: 0 CLOSED, 1 OPEN, 2 HALF_OPEN, 3 DISABLED, 4 FORCED_OPEN,
 * 5 METRICS_ONLY) and every transition is logged (WARN when a breaker opens, INFO otherwise) and counted.
 *
 * <p>Open breakers move to HALF_OPEN lazily, on the first {@link #tryAcquire} after {@code wait_in_open}, so no timer
 * thread is needed. A half-open trial is one call: a retry of a job on the same target never takes a trial permit
 * (the job moves on to its next hop instead), so one job's retries cannot use up the trials. Thread-safe.
 */
public final class CircuitBreakers implements Breakers {

    public static final String STATE_GAUGE = "relay.circuit.breaker.state";
    public static final String TRANSITIONS_COUNTER = "relay.circuit.breaker.transitions";
    /** The {@code model} tag of a breaker that covers every model of its provider. */
    public static final String ANY_MODEL = "*";

    /** The classes that say the provider itself is unwell. */
    public static final Set<FailureClass> HEALTH_CLASSES = Set.copyOf(
            EnumSet.of(FailureClass.RATE_LIMITED, FailureClass.TRANSIENT, FailureClass.TIMEOUT, FailureClass.NETWORK));

    private static final Logger log = LoggerFactory.getLogger(CircuitBreakers.class);

    private final boolean enabled;
    private final boolean perModel;
    private final CircuitBreakerRegistry registry;
    private final MeterRegistry meters;
    private final ConcurrentMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    public CircuitBreakers(CircuitBreakerSettings settings, MeterRegistry meters) {
        this(settings, meters, Clock.systemUTC());
    }

    /** With an explicit clock, so tests can pass {@code wait_in_open} without sleeping. */
    public CircuitBreakers(CircuitBreakerSettings settings, MeterRegistry meters, Clock clock) {
        this.enabled = settings.enabled();
        this.perModel = settings.scope() == CircuitBreakerSettings.Scope.MODEL;
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

    /**
     * Asks for a permit to call {@code model} of {@code provider}; false means the attempt is
     * {@code SKIPPED_CIRCUIT_OPEN}. {@code attemptOnTarget} is 1 for a job's first attempt on this target; a later
     * attempt (a retry) is refused while the breaker is half-open, so it never counts as a further trial.
     */
    @Override
    public boolean tryAcquire(String provider, String model, int attemptOnTarget) {
        CircuitBreaker cb = breaker(provider, model);
        if (attemptOnTarget > 1 && cb.getState() == CircuitBreaker.State.HALF_OPEN) {
            return false;
        }
        return cb.tryAcquirePermission();
    }

    @Override
    public void onSuccess(String provider, String model, Duration latency) {
        breaker(provider, model).onSuccess(latency.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Records a failed call; only {@link #HEALTH_CLASSES} count as failures of the provider. */
    @Override
    public void onFailure(String provider, String model, FailureClass failure, Duration latency) {
        CircuitBreaker cb = breaker(provider, model);
        if (HEALTH_CLASSES.contains(failure)) {
            cb.onError(latency.toNanos(), TimeUnit.NANOSECONDS, new ProviderUnhealthy(cb.getName(), failure));
        } else if (failure == FailureClass.DEADLINE || failure == FailureClass.INTERNAL) {
            // The job ran out of time, or Relay itself failed (a bug): nothing learned about the provider.
            cb.releasePermission();
        } else {
            // The provider answered (caller fault, key, model, filter): healthy as far as the breaker cares.
            cb.onSuccess(latency.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Gives back a permit that was acquired but not used (the job was cancelled, deadline, rebalance). */
    @Override
    public void release(String provider, String model) {
        breaker(provider, model).releasePermission();
    }

    /** CLOSED, OPEN, HALF_OPEN, DISABLED, FORCED_OPEN or METRICS_ONLY. */
    public String state(String provider, String model) {
        return breaker(provider, model).getState().name();
    }

    /** The breaker's name: {@code provider/model}, or the provider alone under the provider scope. */
    public String name(String provider, String model) {
        return perModel ? provider + "/" + model : provider;
    }

    private CircuitBreaker breaker(String provider, String model) {
        String name = name(provider, model);
        CircuitBreaker existing = breakers.get(name);
        return existing != null
                ? existing
                : breakers.computeIfAbsent(name, n -> create(n, provider, perModel ? model : ANY_MODEL));
    }

    private CircuitBreaker create(String name, String provider, String model) {
        CircuitBreaker cb = registry.circuitBreaker(name);
        if (!enabled) {
            cb.transitionToDisabledState();
        }
        Gauge.builder(STATE_GAUGE, cb, b -> b.getState().getOrder())
                .description(
                        "Circuit breaker state per provider (and model): 0 closed, 1 open, 2 half-open, 3 disabled, "
                                + "4 forced open, 5 metrics only")
                .tag("provider", provider)
                .tag("model", model)
                .register(meters);
        cb.getEventPublisher().onStateTransition(e -> {
            CircuitBreaker.State to = e.getStateTransition().getToState();
            CircuitBreaker.State from = e.getStateTransition().getFromState();
            Counter.builder(TRANSITIONS_COUNTER)
                    .tag("provider", provider)
                    .tag("model", model)
                    .tag("from", from.name())
                    .tag("to", to.name())
                    .register(meters)
                    .increment();
            if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
                log.warn(
                        "circuit breaker for {} {} -> {} (failure rate {}%); its attempts are skipped",
                        name, from, to, cb.getMetrics().getFailureRate());
            } else {
                log.info("circuit breaker for {} {} -> {}", name, from, to);
            }
        });
        return cb;
    }

    /** The error recorded for a provider-health failure; no stack trace, it is a signal, not a bug. */
    static final class ProviderUnhealthy extends RuntimeException {
        ProviderUnhealthy(String breaker, FailureClass failure) {
            super(breaker + ": " + failure, null, false, false);
        }
    }
}
