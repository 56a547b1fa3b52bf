package dev.relay.processor.attempt;

import java.time.Duration;
import java.util.Objects;

/** What the processor does after a failed attempt: {@link RetryPolicy#decide} returns one of these. */
public sealed interface Verdict permits Verdict.RetrySame, Verdict.NextHop, Verdict.GiveUp {

    /**
     * Try the same provider and model again after {@code delay}; {@code rotateKey} asks for another key (the failed
     * one is excluded by the caller).
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

    /** The chain stops here (caller fault, deadline, allow_fallbacks=false, or policy). */
    record GiveUp() implements Verdict {}
}
