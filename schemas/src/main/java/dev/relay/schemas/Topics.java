package dev.relay.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Relay's topic names. Every name carries a prefix (default {@code relay.}); {@code maxHops} is the longest allowed
 * chain minus one, so the hop topics are {@code jobs}, {@code jobs.hop-1} … {@code jobs.hop-N}.
 */
public record Topics(String prefix, int maxHops) {

    public static final String DEFAULT_PREFIX = "relay.";
    public static final int DEFAULT_MAX_HOPS = 4;

    public Topics {
        Objects.requireNonNull(prefix, "prefix");
        if (maxHops < 0 || maxHops > 32) {
            throw new IllegalArgumentException("maxHops must be 0..32, was " + maxHops);
        }
    }

    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX, DEFAULT_MAX_HOPS);
    }

    /** The longest chain a job may carry: a primary plus {@code maxHops} fallbacks. */
    public int maxChainLength() {
        return maxHops + 1;
    }

    /** Hop 0 input: where the ingress and batch producers write jobs. */
    public String jobs() {
        return prefix + "jobs";
    }

    /** The topic that carries jobs whose next target is {@code chain[hop]}. */
    public String hop(int hop) {
        if (hop < 0 || hop > maxHops) {
            throw new IllegalArgumentException("hop must be 0.." + maxHops + ", was " + hop);
        }
        return hop == 0 ? jobs() : prefix + "jobs.hop-" + hop;
    }

    public List<String> hopTopics() {
        List<String> all = new ArrayList<>();
        for (int h = 0; h <= maxHops; h++) {
            all.add(hop(h));
        }
        return List.copyOf(all);
    }

    /** One terminal JobResult per job and generation; compacted by job id. */
    public String results() {
        return prefix + "results";
    }

    /** The audit trail: one AttemptRecord per try. */
    public String attempts() {
        return prefix + "attempts";
    }

    /** Whole jobs whose chain ended in failure: the replay tool's input. */
    public String failed() {
        return prefix + "failed";
    }

    /** Records that could not be read: original bytes plus error headers. */
    public String deadletter() {
        return prefix + "deadletter";
    }

    /** Pending and finished webhook deliveries (compacted by job id). */
    public String webhooks() {
        return prefix + "webhooks";
    }

    /** The processor's live state: one JSON snapshot per provider (compacted by provider name). */
    public String status() {
        return prefix + "status";
    }

    /** Uploaded files (OpenAI Files API), in chunks keyed {@code <file id>/<chunk>}; compacted, deleted by tombstones. */
    public String files() {
        return prefix + "files";
    }

    /** The batch catalog: OpenAI file and batch objects, one JSON record per id (compacted). */
    public String batches() {
        return prefix + "batches";
    }

    /**
     * The chunks of streaming attempts (StreamChunk, key = job id). Each ingress instance reads one partition: a job
     * names it in its StreamSpec and the processor writes there.
     */
    public String stream() {
        return prefix + "stream";
    }

    /** Every topic Relay creates. */
    public List<String> all() {
        List<String> all = new ArrayList<>(hopTopics());
        all.addAll(List.of(
                results(), attempts(), failed(), deadletter(), webhooks(), status(), files(), batches(), stream()));
        return List.copyOf(all);
    }
}
