package dev.relay.processor.topology;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The durable bookkeeping of one hop task's provider batches: the hop's changelogged provider-batch store (one
 * {@link ProviderBatchRecord} per provider batch, written before its submit, updated with the provider's id, deleted
 * in the transaction in which its items end) and what the task keeps in memory beside it: each provider batch it
 * knows ({@link Live}) and, for each item, the batch it is in. Stream thread only.
 */
final class ProviderBatchBook {

    /** A provider batch this task knows: its record, and whether an HTTP call for it is under way. */
    static final class Live {
        ProviderBatchRecord record;
        final boolean restored;
        boolean busy;
        long nextAt;
        /** The Relay batches its items belong to (null: not read yet; in memory only). */
        java.util.Set<String> relayBatches;
        /** The provider was asked to cancel it (in memory: after a restart it is asked again). */
        boolean cancelAsked;
        /** The cancel calls made for it so far (in memory). */
        int cancelCalls;

        Live(ProviderBatchRecord record, boolean restored, long nextAt) {
            this.record = record;
            this.restored = restored;
            this.nextAt = nextAt;
        }
    }

    private record ItemRef(String batchId, String stamp) {}

    private final Map<String, Live> live = new LinkedHashMap<>();
    /** Each item of a provider batch this task knows: the batch's id and the item's stamp. */
    private final Map<String, ItemRef> itemBatch = new HashMap<>();

    private KeyValueStore<String, String> store;

    /** Loads the provider batches of this task from {@code batches} (restored from its changelog; null: no batch API). */
    void load(KeyValueStore<String, String> batches, long now) {
        clear();
        this.store = batches;
        if (store == null) {
            return; // no provider has a batch API
        }
        try (KeyValueIterator<String, String> it = store.all()) {
            while (it.hasNext()) {
                ProviderBatchRecord r = ProviderBatchRecord.fromJson(it.next().value);
                live.put(r.id(), new Live(r, true, now));
                r.items().forEach(i -> itemBatch.put(i.key(), new ItemRef(r.id(), i.stamp())));
            }
        }
    }

    /** How many provider batches this task knows. */
    int batches() {
        return live.size();
    }

    /** How many items of provider batches this task knows. */
    int items() {
        return itemBatch.size();
    }

    /** Whether {@code key}'s entry is an item of a provider batch this task knows. */
    boolean holds(String key, InflightEntry e) {
        ItemRef ref = itemBatch.get(key);
        return ref != null && live.containsKey(ref.batchId()) && ref.stamp().equals(ProviderBatchRecord.stamp(e));
    }

    /** A newer record replaced the job: whatever its provider batch says about the old one is not used. */
    void forget(String key) {
        itemBatch.remove(key);
    }

    /** A sealed provider batch: its intent goes into the store, to be committed before the submit at {@code submitAt}. */
    void add(ProviderBatchRecord r, long submitAt) {
        store.put(r.id(), r.toJson());
        live.put(r.id(), new Live(r, false, submitAt));
        r.items().forEach(i -> itemBatch.put(i.key(), new ItemRef(r.id(), i.stamp())));
    }

    /** The provider batch {@code id}, or null when this task does not know it (any more). */
    Live get(String id) {
        return live.get(id);
    }

    /** The provider batches this task knows, in the order they came; {@code remove} forgets one (not its record). */
    Iterator<Live> iterator() {
        return live.values().iterator();
    }

    /** {@code l}'s record changed (the provider's id is known): the store has it in this transaction. */
    void update(Live l, ProviderBatchRecord r) {
        l.record = r;
        store.put(r.id(), r.toJson());
    }

    /**
     * Takes item {@code i} of {@code r} out of the book when it is still the item of the job's entry {@code e}; false
     * when the job left or was replaced meanwhile (a result for it is not its).
     */
    boolean take(ProviderBatchRecord r, ProviderBatchRecord.Item i, InflightEntry e) {
        ItemRef ref = itemBatch.get(i.key());
        if (e == null
                || ref == null
                || !r.id().equals(ref.batchId())
                || !i.stamp().equals(ProviderBatchRecord.stamp(e))) {
            return false;
        }
        itemBatch.remove(i.key());
        return true;
    }

    /** The record of provider batch {@code id} leaves the store (in the transaction in which its items end). */
    void delete(String id) {
        store.delete(id);
    }

    /** This task no longer follows provider batch {@code id}. */
    void remove(String id) {
        live.remove(id);
    }

    void clear() {
        live.clear();
        itemBatch.clear();
    }
}
