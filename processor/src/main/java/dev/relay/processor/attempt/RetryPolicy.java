package dev.relay.processor.attempt;

import dev.relay.config.NetworkConfig;
import dev.relay.config.Node;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides what follows a failed attempt, and what follows a target that cannot be called at all: retry the same target
 * (maybe with another key), move to the next hop, or give up, with the reason. Every such rule lives here; the
 * topology acts on the {@link Verdict} and re-decides nothing. The defaults are the failure table
 * ({@code docs/policy.md}, {@link FailureClass}); {@code fallback_policy} overrides them per class (shape and
 * validation in {@link FallbackPolicyReader}). Immutable and thread-safe; all randomness comes from the caller's
 * generator so tests are deterministic.
 */
public final class RetryPolicy {

    /** A longer Retry-After than this is not waited out: the chain moves on instead. */
    public static final Duration DEFAULT_RETRY_AFTER_CAP = Duration.ofSeconds(5);

    /** The terminal reason when the last target of the chain failed. */
    public static final String CHAIN_EXHAUSTED = "CHAIN_EXHAUSTED";

    private static final Verdict NEXT_HOP = new Verdict.NextHop();

    private final Map<FailureClass, ClassPolicy> classes;
    private final Duration retryAfterCap;

    RetryPolicy(Map<FailureClass, ClassPolicy> classes, Duration retryAfterCap) {
        EnumMap<FailureClass, ClassPolicy> all = new EnumMap<>(FailureClass.class);
        for (FailureClass c : FailureClass.values()) {
            all.put(c, classes.getOrDefault(c, ClassPolicy.defaults(c)));
        }
        this.classes = Collections.unmodifiableMap(all);
        this.retryAfterCap = retryAfterCap;
    }

    /** The failure table's defaults with no overrides. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(Map.of(), DEFAULT_RETRY_AFTER_CAP);
    }

    /** Reads and validates {@code fallback_policy} (absent: the defaults); errors name the bad path. */
    public static RetryPolicy from(Node fallbackPolicy) {
        return FallbackPolicyReader.read(fallbackPolicy);
    }

    /**
     * What to do after {@code failure}. {@code attemptOnTarget} is 1-based (attempts already made on this provider and
     * model in this hop, including this one). {@code anotherKeyAvailable} says whether the provider still has a key,
     * other than the one that just failed and those dead for the job, that allows the model.
     */
    public Verdict decide(
            AttemptOutcome.Failure failure,
            int attemptOnTarget,
            NetworkConfig network,
            boolean anotherKeyAvailable,
            boolean isLastHop,
            RandomGenerator random) {
        if (attemptOnTarget < 1) {
            throw new IllegalArgumentException("attemptOnTarget is 1-based, was " + attemptOnTarget);
        }
        FailureClass c = failure.failureClass();
        if (c == FailureClass.DEADLINE || !failure.allowFallbacks()) {
            // Bifrost: AllowFallbacks=false ends the chain; a passed deadline leaves no time for anything else.
            return giveUp(failure, isLastHop);
        }
        ClassPolicy p = classes.get(c);
        if (p.retrySame() && attemptOnTarget <= p.retryLimit(network.maxRetries())) {
            Optional<Verdict> retry =
                    retrySame(c, p, failure.retryAfter(), attemptOnTarget, network, anotherKeyAvailable, random);
            if (retry.isPresent()) {
                return retry.get();
            }
        }
        return p.nextHop() && !isLastHop ? NEXT_HOP : giveUp(failure, isLastHop);
    }

    /**
     * What follows a target that could not be called at all (its provider is not configured, or its circuit breaker is
     * open): the next hop, or on the last hop the end of the chain.
     */
    public Verdict skipTarget(boolean isLastHop) {
        return isLastHop ? new Verdict.GiveUp(CHAIN_EXHAUSTED) : NEXT_HOP;
    }

    /** The effective policy for one class, after overrides. */
    public ClassPolicy policy(FailureClass c) {
        return classes.get(c);
    }

    public Duration retryAfterCap() {
        return retryAfterCap;
    }

    private Optional<Verdict> retrySame(
            FailureClass c,
            ClassPolicy p,
            Optional<Duration> retryAfter,
            int attemptOnTarget,
            NetworkConfig network,
            boolean anotherKeyAvailable,
            RandomGenerator random) {
        if (p.rotateKey()) {
            if (anotherKeyAvailable) {
                // The Retry-After (or the quota, or the bad credential) belongs to the key that got it: no wait.
                return Optional.of(new Verdict.RetrySame(Duration.ZERO, true));
            }
            // Same key again only makes sense for a rate limit that says it lifts soon.
            if (c == FailureClass.RATE_LIMITED && retryAfter.isPresent() && withinCap(retryAfter.get())) {
                return Optional.of(new Verdict.RetrySame(retryAfter.get(), false));
            }
            return Optional.empty();
        }
        // a key that failed AUTH is dead for the job, whether or not the class rotates keys
        boolean avoidKey = c == FailureClass.AUTH;
        Duration delay =
                Backoff.jittered(attemptOnTarget, network.retryBackoffInitial(), network.retryBackoffMax(), random);
        if (retryAfter.isPresent()) {
            if (!withinCap(retryAfter.get())) {
                return Optional.empty();
            }
            delay = retryAfter.get().compareTo(delay) > 0 ? retryAfter.get() : delay;
        }
        return Optional.of(new Verdict.RetrySame(delay, avoidKey));
    }

    /** The end of the chain, with the terminal reason the failed job carries. */
    private static Verdict giveUp(AttemptOutcome.Failure failure, boolean isLastHop) {
        FailureClass c = failure.failureClass();
        String reason = c == FailureClass.INVALID_REQUEST
                ? "INVALID_REQUEST"
                : c == FailureClass.INTERNAL
                        ? "INTERNAL"
                        : c == FailureClass.DEADLINE
                                ? "DEADLINE"
                                : !failure.allowFallbacks()
                                        ? "FALLBACKS_NOT_ALLOWED"
                                        : isLastHop ? CHAIN_EXHAUSTED : "NOT_RETRYABLE_" + c;
        return new Verdict.GiveUp(reason);
    }

    private boolean withinCap(Duration retryAfter) {
        return retryAfter.compareTo(retryAfterCap) <= 0;
    }

    @Override
    public String toString() {
        return "RetryPolicy[classes=" + classes + ", retryAfterCap=" + retryAfterCap + "]";
    }
}
