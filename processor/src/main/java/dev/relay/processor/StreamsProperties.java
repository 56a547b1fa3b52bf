package dev.relay.processor;

import dev.relay.config.KafkaSettings;
import dev.relay.processor.topology.DeadLetterDeserializationHandler;
import dev.relay.processor.topology.DeadLetterProcessingHandler;
import dev.relay.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Streams settings Relay runs with, from the {@code kafka} section. {@code kafka.properties} is applied last, so
 * any Kafka setting can be overridden there (for example {@code group.instance.id}).
 */
final class StreamsProperties {

    /** Where the generated static-membership id is kept, inside {@code state_dir}. */
    static final String INSTANCE_ID_FILE = "relay-instance-id";

    static final String SESSION_TIMEOUT_MS = "6000";
    static final String HEARTBEAT_INTERVAL_MS = "1500";
    static final String TRANSACTION_TIMEOUT_MS = "5000";

    private StreamsProperties() {}

    static Properties of(KafkaSettings kafka, Topics topics) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, kafka.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, kafka.processingGuarantee());
        p.put(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                Long.toString(kafka.commitInterval().toMillis()));
        // completions wait for the stream thread to come back from poll(): keep it short (research: p50 106 ms at 100)
        p.put(StreamsConfig.POLL_MS_CONFIG, Long.toString(kafka.pollInterval().toMillis()));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(kafka.streamThreads()));
        // Each task reads one partition of one hop topic: there is nothing to wait for across partitions. With the
        // default (0) Streams formats a "waiting to fetch" message for every idle task on every loop, which was 10 % of
        // the stream thread's CPU samples at 500 sync requests/s (bench/reports/ingress-latency.md).
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "-1");
        p.put(StreamsConfig.STATE_DIR_CONFIG, kafka.stateDir().toAbsolutePath().toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, Short.toString(kafka.replicationFactor()));
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadletter());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "5");
        // under EOS a new transaction's first write to a partition whose previous markers are still pending gets
        // CONCURRENT_TRANSACTIONS; the default 100 ms backoff then stalls the next commit (seen in bench/)
        p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), "10");
        // A dead instance's partitions move once its session ends and its open transaction is aborted
        // (docs/processor.md, bench/reports/processor-failover.md): 6 s is the lowest session a stock broker
        // accepts (group.min.session.timeout.ms), a heartbeat every 1.5 s notices the rebalance within it, and a
        // transaction that the dead instance left open times out before the session does.
        // A setting in kafka.properties, with or without its client prefix, wins over these.
        kafka.properties().forEach(p::put);
        defaultUnlessSet(
                p,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                SESSION_TIMEOUT_MS);
        defaultUnlessSet(
                p,
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                HEARTBEAT_INTERVAL_MS);
        defaultUnlessSet(
                p,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                TRANSACTION_TIMEOUT_MS);
        // One produce request in flight per broker: with several, a transaction's second batch to a partition can
        // reach the broker before the first one's transaction check has passed, and the broker rejects it with a
        // retriable OutOfOrderSequenceException that it logs at ERROR (17 in 30,000 jobs; none with one in flight,
        // at no measured throughput cost: docs/local-stack.md, "OutOfOrderSequenceException").
        defaultUnlessSet(
                p,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION),
                "1");
        // static membership: an instance back within the session takes its tasks back without a rebalance
        if (!p.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
                && !p.containsKey(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG))) {
            p.put(
                    StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                    instanceId(kafka.stateDir(), kafka.applicationId()));
        }
        return p;
    }

    private static void defaultUnlessSet(Properties p, String plain, String prefixed, String value) {
        if (!p.containsKey(plain) && !p.containsKey(prefixed)) {
            p.put(prefixed, value);
        }
    }

    /** A stable id per state dir: generated once, then read back on every restart of the same instance. */
    static String instanceId(Path stateDir, String applicationId) {
        Path file = stateDir.resolve(INSTANCE_ID_FILE);
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).strip();
            }
            Files.createDirectories(stateDir);
            String id = applicationId + "-" + UUID.randomUUID().toString().substring(0, 8);
            Files.writeString(file, id, StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the instance id in " + file, e);
        }
    }
}
