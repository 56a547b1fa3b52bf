package dev.relay.processor.attempt;

import java.time.Duration;
import java.util.Objects;

/**
 * What the processor does after a failed attempt, or instead of an attempt it could not make: {@link RetryPolicy}
 * decides, the topology acts on it and decides nothing itself.
 */
public sealed interface Verdict permits Verdict.RetrySame, Verdict.NextHop, Verdict.GiveUp {

    /**
     * Try the same provider and model again after {@code delay}. {@code rotateKey}: the key that just failed is not used
     * again for this target (another key after a 429 or 402; always after AUTH, whose key is dead for the job).
     */
    record RetrySame(Duration delay, boolean rotateKey) implements Verdict {
        public RetrySame {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay must not be negative: " + delay);
            }
        }
    }

    /** Move on to the next target of the chain. */
    record NextHop() implements Verdict {}

    /**
     * The chain stops here. {@code reason} is the failed job's terminal reason: {@code INVALID_REQUEST},
     * {@code DEADLINE}, {@code FALLBACKS_NOT_ALLOWED}, {@code INTERNAL} (a bug), {@code CHAIN_EXHAUSTED} (the last hop failed)
     * or {@code NOT_RETRYABLE_<class>} (the class does not fall back).
     */
    record GiveUp(String reason) implements Verdict {
        public GiveUp {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
