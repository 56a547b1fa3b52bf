package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Verdict;
import dev.relay.schemas.Job;
import dev.relay.schemas.Target;
import java.util.HashSet;
import java.util.Set;

/**
 * A hop's questions to the call policy, which decides everything ({@link dev.relay.processor.routing.CallPolicy}):
 * its verdict on a failed attempt, given the attempt's number and the keys that are out for the job, and on a target
 * that was skipped. The hop is the last one when it holds the chain's last target or is the topology's last hop topic.
 */
final class HopVerdicts {

    /** The reason of the verdict that ends an item of a cancelled Relay batch (its FailedJob's terminal reason). */
    static final String BATCH_CANCELLED = "BATCH_CANCELLED";

    private final int hop;
    private final int maxHop;
    private final FallbackServices services;
    private final CancelledBatches cancels;

    HopVerdicts(int hop, int maxHop, FallbackServices services, CancelledBatches cancels) {
        this.hop = hop;
        this.maxHop = maxHop;
        this.services = services;
        this.cancels = cancels;
    }

    /**
     * The verdict on {@code f}; {@code keyName} is the key that failed (null when no call was made). An item of a
     * cancelled Relay batch is given up ({@link #BATCH_CANCELLED}): a cancel stops retries and fallbacks.
     */
    Verdict onFailure(InflightEntry e, AttemptOutcome.Failure f, String keyName, long now) {
        if (cancels.cancelled(e.job(), now)) {
            return new Verdict.GiveUp(BATCH_CANCELLED);
        }
        Target t = e.job().getChain().get(hop);
        Set<String> excluded = new HashSet<>(e.excludedKeys());
        if (keyName != null) {
            excluded.add(keyName);
        }
        return services.policy()
                .decide(
                        services.providers().get(t.getProvider()),
                        t.getModel(),
                        f,
                        e.attemptsOnTarget() + 1,
                        excluded,
                        lastHop(e.job()));
    }

    /** The verdict on the job's target being skipped without a call: the next hop, or give up on the last. */
    Verdict onSkip(Job job) {
        return services.policy().skip(lastHop(job));
    }

    private boolean lastHop(Job job) {
        return hop >= Math.min(job.getChain().size() - 1, maxHop);
    }
}
