package dev.relay.processor.topology;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** A key-value store whose data lives in a map the test keeps, so it survives closing the TopologyTestDriver. */
final class SurvivingStore implements KeyValueStore<Bytes, byte[]> {

    /** The "disk" of one store. */
    record Disk(NavigableMap<Bytes, byte[]> data) {}

    private final String name;
    private final NavigableMap<Bytes, byte[]> data;
    private volatile boolean open;

    private SurvivingStore(String name, NavigableMap<Bytes, byte[]> data) {
        this.name = name;
        this.data = data;
    }

    static KeyValueBytesStoreSupplier supplier(String name, Map<String, Disk> disks) {
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                Disk disk = disks.computeIfAbsent(name, n -> new Disk(new ConcurrentSkipListMap<>()));
                return new SurvivingStore(name, disk.data());
            }

            @Override
            public String metricsScope() {
                return "surviving";
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
            if (value == null) {
                data.remove(Bytes.wrap(key));
            } else {
                data.put(Bytes.wrap(key), value);
            }
        });
        open = true;
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public boolean persistent() {
        return true;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void put(Bytes key, byte[] value) {
        if (value == null) {
            data.remove(key);
        } else {
            data.put(key, value);
        }
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
        byte[] old = data.get(key);
        if (old == null) {
            put(key, value);
        }
        return old;
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
        entries.forEach(kv -> put(kv.key, kv.value));
    }

    @Override
    public byte[] delete(Bytes key) {
        return data.remove(key);
    }

    @Override
    public byte[] get(Bytes key) {
        return data.get(key);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return iterator(data.subMap(from, true, to, true));
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        return iterator(data);
    }

    @Override
    public org.apache.kafka.streams.query.Position getPosition() {
        return org.apache.kafka.streams.query.Position.emptyPosition();
    }

    @Override
    public long approximateNumEntries() {
        return data.size();
    }

    private static KeyValueIterator<Bytes, byte[]> iterator(NavigableMap<Bytes, byte[]> map) {
        Iterator<Map.Entry<Bytes, byte[]>> it = List.copyOf(map.entrySet()).iterator();
        return new KeyValueIterator<>() {
            @Override
            public void close() {}

            @Override
            public Bytes peekNextKey() {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public KeyValue<Bytes, byte[]> next() {
                var e = it.next();
                return KeyValue.pair(e.getKey(), e.getValue());
            }
        };
    }
}
