package dev.relay.processor.topology;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.attempt.Verdict;
import dev.relay.processor.routing.CircuitBreakers;
import dev.relay.processor.routing.KeySelector;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/** The processor's call policy: the configured retry policy, the weighted key selector and the circuit breakers. */
public final class PolicyCallPolicy implements CallPolicy {

    private final RetryPolicy retryPolicy;
    private final KeySelector keys;
    private final CircuitBreakers breakers;
    private final RandomGenerator random;

    public PolicyCallPolicy(RetryPolicy retryPolicy, CircuitBreakers breakers, RandomGenerator random) {
        this.retryPolicy = retryPolicy;
        this.keys = new KeySelector(random);
        this.breakers = breakers;
        this.random = random;
    }

    @Override
    public Optional<KeyConfig> chooseKey(ProviderConfig provider, String model, Set<String> excluded) {
        synchronized (random) { // one generator shared by all stream threads
            return keys.choose(provider, model, excluded);
        }
    }

    @Override
    public HopDecision decide(ProviderConfig provider, AttemptOutcome.Failure failure, int attemptOnTarget,
            boolean anotherKeyAvailable, boolean isLastHop) {
        boolean usableKey = anotherKeyAvailable; // computed by the topology with this policy's chooseKey
        Verdict v;
        synchronized (random) {
            v = retryPolicy.decide(failure, attemptOnTarget, provider.network(), usableKey, isLastHop, random);
        }
        return switch (v) {
            case Verdict.RetrySame r -> new HopDecision.RetrySame(r.delay(), r.rotateKey());
            case Verdict.NextHop n -> retryPolicy.fallbackAllowed(failure.failureClass())
                    ? new HopDecision.NextHop() : new HopDecision.GiveUp();
            case Verdict.GiveUp g -> new HopDecision.GiveUp();
        };
    }

    @Override
    public boolean tryAcquire(String provider) {
        return breakers.tryAcquire(provider);
    }

    @Override
    public void onSuccess(String provider, Duration latency) {
        breakers.onSuccess(provider, latency);
    }

    @Override
    public void onFailure(String provider, FailureClass failureClass, Duration latency) {
        breakers.onFailure(provider, failureClass, latency);
    }

    @Override
    public void release(String provider) {
        breakers.release(provider);
    }
}
