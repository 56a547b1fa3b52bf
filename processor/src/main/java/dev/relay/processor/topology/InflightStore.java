package dev.relay.processor.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A hop task's in-flight store with the live entries also kept as objects. The changelogged store stays the record
 * (every write goes to it, in the task's transaction); reads come from the map, so the stream thread does not decode a
 * job from the store's bytes each time it looks one up. Only this task's processor writes the store, so the two agree;
 * every {@code init()} of the processor (after a restart or a rebalance, and when Streams revives a corrupted task in
 * place) builds a new one and loads the map from the store.
 */
final class InflightStore {

    private final KeyValueStore<String, InflightEntry> store;
    private final Map<String, InflightEntry> live = new HashMap<>();
    /** Entries changed in {@link #load} and not yet written: init() has no record context to write a store in. */
    private final Set<String> unsaved = new HashSet<>();

    InflightStore(KeyValueStore<String, InflightEntry> store) {
        this.store = store;
    }

    /**
     * Loads what the store holds (restored from the changelog when the task started) and returns it in key order.
     * Called once, from the processor's init; the list is not kept. An entry whose call may have been running when
     * the task's previous owner stopped (it was not waiting for a retry after {@code nowMs}) is loaded as
     * {@link InflightEntry#restored}, so its call is issued again under a new attempt number; it is written to the
     * store by {@link #saveRestored} before that call starts.
     */
    List<Map.Entry<String, InflightEntry>> load(long nowMs) {
        List<Map.Entry<String, InflightEntry>> restored = new ArrayList<>();
        try (KeyValueIterator<String, InflightEntry> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                InflightEntry e = kv.value;
                if (e.notBefore() <= nowMs) {
                    e = e.restored();
                    unsaved.add(kv.key);
                }
                live.put(kv.key, e);
                restored.add(Map.entry(kv.key, e));
            }
        }
        return restored;
    }

    /** Writes the entry of {@code key} if {@link #load} changed it and it was not written since. */
    void saveRestored(String key) {
        if (unsaved.remove(key)) {
            InflightEntry e = live.get(key);
            if (e != null) {
                store.put(key, e);
            }
        }
    }

    /**
     * The entry of {@code key} as the store holds it, not as {@link #load} restored it: for a job whose attempt was not
     * lost with the previous owner (an item of a provider batch that keeps running at the provider).
     */
    void keepAsStored(String key) {
        if (unsaved.remove(key)) {
            InflightEntry stored = store.get(key);
            if (stored != null) {
                live.put(key, stored);
            }
        }
    }

    InflightEntry get(String key) {
        return live.get(key);
    }

    void put(String key, InflightEntry entry) {
        unsaved.remove(key);
        store.put(key, entry);
        live.put(key, entry);
    }

    void delete(String key) {
        unsaved.remove(key);
        store.delete(key);
        live.remove(key);
    }
}
