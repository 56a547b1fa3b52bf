package dev.relay.processor.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.schemas.Job;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Which Relay batches were cancelled ({@code POST /v1/batches/{id}/cancel}), read from the batch catalog: the
 * ingress writes the cancel into the batch's record on the compacted batches topic ({@code cancelling_at}), and the
 * processor keeps that topic whole in a global store ({@link FallbackTopology#CATALOG_STORE}), so every task sees
 * every cancel. A cancel is never undone, so a cancelled batch is remembered; a live one is looked up again at most
 * every {@link #RECHECK_MS}. One instance per hop task; stream thread only.
 */
final class CancelledBatches {

    /** How long a batch found live is taken to be live before its catalog record is read again. */
    static final long RECHECK_MS = 1_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Set<String> cancelled = new HashSet<>();
    private final Map<String, Long> liveUntil = new HashMap<>();
    private ReadOnlyKeyValueStore<String, String> catalog;

    /** {@code catalog}: the global store of the batch catalog (null: none in this topology, nothing is cancelled). */
    void init(ReadOnlyKeyValueStore<String, String> catalog) {
        this.catalog = catalog;
        liveUntil.clear();
    }

    /** Whether the job is an item of a Relay batch that was cancelled. */
    boolean cancelled(Job job, long now) {
        return job.getBatchId() != null && cancelled(job.getBatchId(), now);
    }

    boolean cancelled(String batchId, long now) {
        if (cancelled.contains(batchId)) {
            return true;
        }
        Long until = liveUntil.get(batchId);
        if (catalog == null || (until != null && now < until)) {
            return false;
        }
        if (isCancelled(catalog.get(batchId))) {
            if (cancelled.size() > 10_000) {
                cancelled.clear(); // a bound: they are read again from the catalog when asked
            }
            cancelled.add(batchId);
            liveUntil.remove(batchId);
            return true;
        }
        if (liveUntil.size() > 10_000) {
            liveUntil.clear(); // a bound: ended batches are forgotten
        }
        liveUntil.put(batchId, now + RECHECK_MS);
        return false;
    }

    /** A batch record (the ingress's catalog JSON) that carries a cancel. */
    static boolean isCancelled(String record) {
        if (record == null) {
            return false;
        }
        try {
            JsonNode n = JSON.readTree(record);
            return "batch".equals(n.path("object").asText()) && n.hasNonNull("cancelling_at");
        } catch (IOException e) {
            return false; // not a batch record this processor understands
        }
    }
}
