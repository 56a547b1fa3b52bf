package dev.relay.replay;

import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes Relay records with the real serde (and chosen record timestamps) and reads topics back, for the ITs. */
final class LogFixture implements AutoCloseable {

    final String bootstrap;
    final String registryUrl;
    final Topics topics;
    final RelaySerdes serdes;
    private final KafkaProducer<String, byte[]> producer;

    LogFixture(String bootstrap, String registryUrl, Topics topics) {
        this.bootstrap = bootstrap;
        this.registryUrl = registryUrl;
        this.topics = topics;
        this.serdes = RelaySerdes.create(SchemaRegistryClient.create(registryUrl));
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        // fixtures write once to topics created moments before: one request in flight keeps batches in order
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    void failed(FailedJob f, Instant timestamp) {
        send(topics.failed(), f.getJob().getJobId(), serdes.failed().serialize(topics.failed(), f), timestamp);
    }

    void result(JobResult r, Instant timestamp) {
        send(topics.results(), r.getJobId(), serdes.result().serialize(topics.results(), r), timestamp);
    }

    void job(Job j, Instant timestamp) {
        send(topics.jobs(), j.getJobId(), serdes.job().serialize(topics.jobs(), j), timestamp);
    }

    private void send(String topic, String key, byte[] value, Instant timestamp) {
        producer.send(new ProducerRecord<>(topic, null, timestamp.toEpochMilli(), key, value));
    }

    void flush() {
        producer.flush();
    }

    /** The end offset of every partition of every Relay topic (what "writes nothing" is checked against). */
    Map<TopicPartition, Long> endOffsets() {
        try (KafkaConsumer<String, byte[]> c = consumer("read_uncommitted")) {
            List<TopicPartition> all = new ArrayList<>();
            for (String topic : topics.all()) {
                c.partitionsFor(topic).forEach(p -> all.add(new TopicPartition(topic, p.partition())));
            }
            return c.endOffsets(all);
        }
    }

    /** Every job on relay.jobs as a read_committed reader (the processor under exactly-once) sees it. */
    List<Job> committedJobs() {
        return readAll(topics.jobs(), "read_committed").stream()
                .map(r -> serdes.job().deserialize(r.topic(), r.value()))
                .toList();
    }

    List<ConsumerRecord<String, byte[]>> readAll(String topic, String isolation) {
        try (KafkaConsumer<String, byte[]> c = consumer(isolation)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end");
                }
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    private KafkaConsumer<String, byte[]> consumer(String isolation) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
