package dev.relay.processor.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    InflightStore(KeyValueStore<String, InflightEntry> store) {
        this.store = store;
    }

    /**
     * Loads what the store holds (restored from the changelog when the task started) and returns it in key order.
     * Called once, from the processor's init; the list is not kept.
     */
    List<Map.Entry<String, InflightEntry>> load() {
        List<Map.Entry<String, InflightEntry>> restored = new ArrayList<>();
        try (KeyValueIterator<String, InflightEntry> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                live.put(kv.key, kv.value);
                restored.add(Map.entry(kv.key, kv.value));
            }
        }
        return restored;
    }

    InflightEntry get(String key) {
        return live.get(key);
    }

    void put(String key, InflightEntry entry) {
        store.put(key, entry);
        live.put(key, entry);
    }

    void delete(String key) {
        store.delete(key);
        live.remove(key);
    }
}
