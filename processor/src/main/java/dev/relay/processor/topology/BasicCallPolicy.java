package dev.relay.processor.topology;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The failure table's default decisions with no circuit breaker: weighted key choice, jittered exponential backoff
 * from the provider's {@code network_config}, Retry-After honoured up to {@link #RETRY_AFTER_CAP}. The processor
 * uses the policy package's retry policy, key selector and breakers when they are wired; this one is the fallback
 * and the reference for topology tests.
 */
public final class BasicCallPolicy implements CallPolicy {

    static final Duration RETRY_AFTER_CAP = Duration.ofSeconds(5);
    private final RandomGenerator random;

    public BasicCallPolicy(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public Optional<KeyConfig> chooseKey(ProviderConfig provider, String model, Set<String> excluded) {
        List<KeyConfig> usable = provider.keys().stream()
                .filter(k -> k.allows(model) && !excluded.contains(k.name()) && k.weight() > 0).toList();
        double total = usable.stream().mapToDouble(KeyConfig::weight).sum();
        double pick = random.nextDouble() * total;
        for (KeyConfig k : usable) {
            pick -= k.weight();
            if (pick < 0) {
                return Optional.of(k);
            }
        }
        return usable.isEmpty() ? Optional.empty() : Optional.of(usable.getLast());
    }

    @Override
    public HopDecision decide(ProviderConfig provider, AttemptOutcome.Failure failure, int attemptOnTarget,
            boolean anotherKeyAvailable, boolean isLastHop) {
        FailureClass c = failure.failureClass();
        int maxRetries = c == FailureClass.TRUNCATED ? 1 : provider.network().maxRetries();
        if (c.retrySameTarget() && attemptOnTarget <= maxRetries) {
            if (c.rotateKey()) {
                if (anotherKeyAvailable) {
                    return new HopDecision.RetrySame(Duration.ZERO, true);
                }
                Optional<Duration> wait = failure.retryAfter().filter(d -> d.compareTo(RETRY_AFTER_CAP) <= 0);
                if (c == FailureClass.RATE_LIMITED && wait.isPresent()) {
                    return new HopDecision.RetrySame(wait.get(), false);
                }
            } else {
                return new HopDecision.RetrySame(backoff(provider, attemptOnTarget), false);
            }
        }
        return c.nextHop() && !isLastHop ? new HopDecision.NextHop() : new HopDecision.GiveUp();
    }

    private Duration backoff(ProviderConfig provider, int attempt) {
        long initial = provider.network().retryBackoffInitial().toMillis();
        long max = provider.network().retryBackoffMax().toMillis();
        long ceiling = Math.min(max, initial << Math.min(attempt - 1, 20));
        // full jitter: spreads retries of many jobs that failed together
        return Duration.ofMillis(ceiling <= 0 ? 0 : random.nextLong(ceiling + 1));
    }

    @Override
    public boolean tryAcquire(String provider) {
        return true;
    }

    @Override
    public void onSuccess(String provider, Duration latency) {}

    @Override
    public void onFailure(String provider, FailureClass failureClass, Duration latency) {}

    @Override
    public void release(String provider) {}
}
