package dev.relay.processor.topology;

import java.time.Duration;

/** What happens after a failed attempt on one hop. Mirrors the policy's verdicts; the topology acts on these. */
public sealed interface HopDecision {

    /** Try the same target again after {@code delay}; {@code rotateKey} avoids the key that just failed. */
    record RetrySame(Duration delay, boolean rotateKey) implements HopDecision {}

    /** Give this target up and move the job to the next hop of its chain. */
    record NextHop() implements HopDecision {}

    /** End the job here: its result is FAILED. */
    record GiveUp() implements HopDecision {}
}
