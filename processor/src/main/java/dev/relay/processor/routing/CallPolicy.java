package dev.relay.processor.routing;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.attempt.Verdict;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Everything the topology asks before and after an attempt, answered from the configured parts: which key to use
 * ({@link KeySelector}), whether the target's circuit breaker lets a call through ({@link Breakers}), and what follows
 * a failure ({@link RetryPolicy}, which decides; this class only supplies the facts it needs). The topology tests run
 * this same class, with a seeded generator and a stub breaker. Thread-safe: the key choice and the verdict run on
 * stream threads and share one generator; the breaker callbacks run where a call completes.
 */
public final class CallPolicy {

    private final RetryPolicy retryPolicy;
    private final KeySelector keys;
    private final Breakers breakers;
    private final RandomGenerator random;

    public CallPolicy(RetryPolicy retryPolicy, Breakers breakers, RandomGenerator random) {
        this.retryPolicy = retryPolicy;
        this.keys = new KeySelector(random);
        this.breakers = breakers;
        this.random = random;
    }

    /** A key of {@code provider} allowed for {@code model} and not in {@code excluded}; empty when none is left. */
    public Optional<KeyConfig> chooseKey(ProviderConfig provider, String model, Set<String> excluded) {
        synchronized (random) { // one generator shared by all stream threads
            return keys.choose(provider, model, excluded);
        }
    }

    /**
     * What follows {@code failure}, the {@code attemptOnTarget}-th (1-based) attempt on this hop's target.
     * {@code excludedKeys} are the keys this job must not use next on the target, the one that just failed included.
     */
    public Verdict decide(
            ProviderConfig provider,
            String model,
            AttemptOutcome.Failure failure,
            int attemptOnTarget,
            Set<String> excludedKeys,
            boolean isLastHop) {
        boolean anotherKey = KeySelector.hasUsableKey(provider, model, excludedKeys);
        synchronized (random) {
            return retryPolicy.decide(failure, attemptOnTarget, provider.network(), anotherKey, isLastHop, random);
        }
    }

    /** What follows a target that cannot be called (provider not configured, circuit open). */
    public Verdict skip(boolean isLastHop) {
        return retryPolicy.skipTarget(isLastHop);
    }

    /**
     * Whether the target's circuit breaker lets one call through (a permit that must be settled below);
     * {@code attemptOnTarget} is 1-based, above 1 for a retry.
     */
    public boolean tryAcquire(String provider, String model, int attemptOnTarget) {
        return breakers.tryAcquire(provider, model, attemptOnTarget);
    }

    public void onSuccess(String provider, String model, Duration latency) {
        breakers.onSuccess(provider, model, latency);
    }

    public void onFailure(String provider, String model, FailureClass failureClass, Duration latency) {
        breakers.onFailure(provider, model, failureClass, latency);
    }

    /** Gives back a breaker permit whose call never produced an outcome (cancelled, task closed). */
    public void release(String provider, String model) {
        breakers.release(provider, model);
    }
}
