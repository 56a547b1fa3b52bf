package dev.relay.processor.topology;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the topology asks before and after an attempt: which key to use, whether the provider's circuit breaker
 * lets a call through, and what to do after a failure. The processor wires the real policy (retry policy, key
 * selector, circuit breakers); topology tests use deterministic ones. Called on stream threads only, except the
 * breaker callbacks, which run where a call completes.
 */
public interface CallPolicy {

    /** A key of {@code provider} allowed for {@code model} and not in {@code excluded}; empty when none is left. */
    Optional<KeyConfig> chooseKey(ProviderConfig provider, String model, Set<String> excluded);

    /** What to do after {@code failure}, the {@code attemptOnTarget}-th (1-based) attempt on this hop's target. */
    HopDecision decide(ProviderConfig provider, AttemptOutcome.Failure failure, int attemptOnTarget,
            boolean anotherKeyAvailable, boolean isLastHop);

    /** Whether the provider's circuit breaker lets one call through (a permit that must be settled below). */
    boolean tryAcquire(String provider);

    void onSuccess(String provider, Duration latency);

    void onFailure(String provider, FailureClass failureClass, Duration latency);

    /** Gives back a breaker permit whose call never produced an outcome (cancelled, task closed). */
    void release(String provider);
}
