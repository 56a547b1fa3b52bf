package dev.relay.processor.topology;

import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Relay's processor topology: one sub-topology per hop topic ({@code jobs}, {@code jobs.hop-1} … {@code hop-N}), each
 * a source, a {@link HopProcessor} with its own persistent in-flight store, and sinks to results, attempts, failed
 * and the next hop topic. Keys are job ids (String), values Avro. Names are stable (they name the stores and
 * changelogs), so do not rename them.
 */
public final class FallbackTopology {

    static final String RESULTS = "results";
    static final String ATTEMPTS = "attempts";
    static final String FAILED = "failed";
    static final String NEXT = "next";

    private FallbackTopology() {}

    /**
     * Topic settings of the in-flight changelogs. Each job leaves a put and a tombstone there, and after a crash under
     * exactly-once Streams restores the store by reading the whole changelog. With the broker's defaults (a segment
     * rolls after 7 days or 1 GB, and compaction never touches the open segment) that read grows with every job of
     * the past week. Short segments let the cleaner drop finished jobs within minutes, so a restore reads about
     * what is in flight plus an hour of tombstones (kept that long so a restore in progress cannot miss one).
     */
    public static final Map<String, String> INFLIGHT_CHANGELOG = Map.of(
            TopicConfig.SEGMENT_MS_CONFIG, Long.toString(Duration.ofMinutes(10).toMillis()),
            TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(64 * 1024 * 1024),
            TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1",
            TopicConfig.DELETE_RETENTION_MS_CONFIG,
                    Long.toString(Duration.ofHours(1).toMillis()));

    /**
     * The global store of the batch catalog ({@code <prefix>batches}: the ingress's file and batch records, JSON by
     * id), read by {@link CancelledBatches}.
     */
    public static final String CATALOG_STORE = "batch-catalog";

    /** RocksDB with a changelog: what the processor runs with. */
    public static final Function<String, KeyValueBytesStoreSupplier> PERSISTENT = Stores::persistentKeyValueStore;

    public static Topology build(Topics topics, RelaySerdes serdes, FallbackServices services) {
        return build(topics, serdes, services, PERSISTENT);
    }

    public static Topology build(
            Topics topics,
            RelaySerdes serdes,
            FallbackServices services,
            Function<String, KeyValueBytesStoreSupplier> stores) {
        Topology topology = new Topology();
        StringSerializer keys = new StringSerializer();
        // the batch catalog, whole on every instance: how a cancel of a Relay batch reaches every hop task
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(CATALOG_STORE), Serdes.String(), Serdes.String())
                        .withLoggingDisabled(),
                "batch-catalog-source",
                new StringDeserializer(),
                new StringDeserializer(),
                topics.batches(),
                "batch-catalog-updater",
                CatalogUpdater::new);
        for (int hop = 0; hop <= topics.maxHops(); hop++) {
            final int h = hop;
            String source = "hop-" + h + "-source";
            String processor = processorName(h);
            String store = storeName(h);
            topology.addSource(source, new StringDeserializer(), serdes.job().deserializer(), topics.hop(h));
            topology.addProcessor(processor, () -> new HopProcessor(h, topics.maxHops(), store, services), source);
            topology.addStateStore(
                    Stores.keyValueStoreBuilder(stores.apply(store), Serdes.String(), new InflightEntrySerde())
                            .withCachingDisabled()
                            .withLoggingEnabled(INFLIGHT_CHANGELOG),
                    processor);
            topology.addStateStore(
                    Stores.keyValueStoreBuilder(stores.apply(batchStoreName(h)), Serdes.String(), Serdes.String())
                            .withCachingDisabled()
                            .withLoggingEnabled(INFLIGHT_CHANGELOG),
                    processor);
            topology.addSink(
                    child(h, RESULTS), topics.results(), keys, serdes.result().serializer(), processor);
            topology.addSink(
                    child(h, ATTEMPTS),
                    topics.attempts(),
                    keys,
                    serdes.attempt().serializer(),
                    processor);
            topology.addSink(
                    child(h, FAILED), topics.failed(), keys, serdes.failed().serializer(), processor);
            if (h < topics.maxHops()) {
                topology.addSink(
                        child(h, NEXT), topics.hop(h + 1), keys, serdes.job().serializer(), processor);
            }
        }
        return topology;
    }

    public static String processorName(int hop) {
        return "hop-" + hop;
    }

    /** The in-flight store of a hop; its changelog is {@code <application.id>-inflight-hop-N-changelog}. */
    public static String storeName(int hop) {
        return "inflight-hop-" + hop;
    }

    /**
     * The provider batches of a hop ({@link ProviderBatcher}); changelog
     * {@code <application.id>-provider-batches-hop-N-changelog}.
     */
    public static String batchStoreName(int hop) {
        return "provider-batches-hop-" + hop;
    }

    static String child(int hop, String sink) {
        return "hop-" + hop + "-" + sink;
    }

    /** Keeps the global catalog store in step with its topic (a tombstone deletes). */
    private static final class CatalogUpdater implements Processor<String, String, Void, Void> {
        private KeyValueStore<String, String> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(CATALOG_STORE);
        }

        @Override
        public void process(Record<String, String> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
