package dev.relay.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * Relay's {@code kafka} section: where the broker and registry are, topic naming, and the Streams settings that
 * trade latency against throughput (see bench/). {@code properties} are passed through to every Kafka client.
 */
public record KafkaSettings(
        String bootstrapServers,
        String schemaRegistryUrl,
        String topicPrefix,
        int maxHops,
        int partitions,
        short replicationFactor,
        String applicationId,
        String processingGuarantee,
        Duration commitInterval,
        Duration pollInterval,
        int streamThreads,
        Path stateDir,
        Map<String, String> properties,
        boolean fastFallback) {

    public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
    public static final String DEFAULT_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";

    static KafkaSettings read(Node n) {
        String guarantee = n.get("processing_guarantee").string("exactly_once_v2");
        if (!guarantee.equals("exactly_once_v2") && !guarantee.equals("at_least_once")) {
            throw n.get("processing_guarantee")
                    .error("expected exactly_once_v2 or at_least_once, got \"" + guarantee + "\"");
        }
        return new KafkaSettings(
                n.get("bootstrap_servers").string(DEFAULT_BOOTSTRAP),
                n.get("schema_registry_url").string(DEFAULT_REGISTRY),
                n.get("topic_prefix").string("relay."),
                n.get("max_fallbacks").integer(4, 0, 16),
                n.get("partitions").integer(6, 1, 1000),
                (short) n.get("replication_factor").integer(1, 1, 7),
                n.get("application_id").string("relay-processor"),
                guarantee,
                n.get("commit_interval").duration(Duration.ofMillis(5), ChronoUnit.MILLIS),
                n.get("poll_interval").duration(Duration.ofMillis(5), ChronoUnit.MILLIS),
                n.get("stream_threads").integer(1, 1, 64),
                Path.of(n.get("state_dir").string(".relay/streams")),
                n.get("properties").stringMap(),
                // start a fallback call before its hop record commits, when this instance owns the next hop
                n.get("fast_fallback").bool(true));
    }
}
