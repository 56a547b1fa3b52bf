package dev.relay.testkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.AvroSerde;
import dev.relay.schemas.serde.RecordDecodingException;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.RelayStackExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Avro records through the real broker, with real producers and consumers, and what bad bytes do to a consumer. */
@Tag("integration")
class AvroKafkaIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private final RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(STACK.registryUrl()));

    @Test
    void shouldProduceAndConsumeEveryRecordThroughTheBroker() {
        Topics topics = STACK.freshTopics();
        String id = "job-" + UUID.randomUUID();
        assertThroughBroker(topics.jobs(), serdes.job(), Job.class, id, SampleRecords.job(id));
        assertThroughBroker(topics.attempts(), serdes.attempt(), AttemptRecord.class, id, SampleRecords.attempt(id));
        assertThroughBroker(topics.results(), serdes.result(), JobResult.class, id, SampleRecords.result(id));
        assertThroughBroker(topics.failed(), serdes.failed(), FailedJob.class, id, SampleRecords.failed(id));
    }

    private <T extends SpecificRecord> void assertThroughBroker(
            String topic, AvroSerde<T> serde, Class<T> type, String key, T value) {
        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), serde.serializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new AssertionError("produce to " + topic + " failed", e);
        }
        // a separate serde instance with its own registry client reads, as another process would
        AvroSerde<T> reader = new AvroSerde<>(type, SchemaRegistryClient.create(STACK.registryUrl()), false, false);
        try (var consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), reader.deserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, T>> got = pollUntil(consumer, 1);
            assertThat(got).singleElement().satisfies(r -> {
                assertThat(r.key()).isEqualTo(key);
                assertThat(r.value()).isEqualTo(value);
            });
        }
    }

    @Test
    void shouldFailWithATypedErrorNamingTopicPartitionAndOffsetForBadBytes() throws Exception {
        Topics topics = STACK.freshTopics();
        String topic = topics.jobs();
        TopicPartition tp = new TopicPartition(topic, 1);
        byte[] good = serdes.job().serialize(topic, SampleRecords.job("job-good"));
        byte[] badMagic = good.clone();
        badMagic[0] = 1;
        byte[] unknownId = good.clone();
        unknownId[1] = 0x7f; // schema id 0x7f...... : never handed out by the registry

        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            for (byte[] value : List.of(good, badMagic, unknownId, good)) {
                producer.send(new ProducerRecord<>(topic, tp.partition(), "k", value))
                        .get();
            }
        }

        try (var consumer = new KafkaConsumer<>(
                consumerConfig(), new StringDeserializer(), serdes.job().deserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            assertThat(pollUntil(consumer, 1))
                    .singleElement()
                    .satisfies(r -> assertThat(r.value().getJobId()).isEqualTo("job-good"));

            RecordDeserializationException magic = pollForError(consumer);
            assertThat(magic.topicPartition()).isEqualTo(tp);
            assertThat(magic.offset()).isEqualTo(1L);
            assertThat(magic.getCause()).isInstanceOfSatisfying(RecordDecodingException.class, cause -> {
                assertThat(cause.reason()).isEqualTo(RecordDecodingException.Reason.BAD_MAGIC_BYTE);
                assertThat(cause.topic()).isEqualTo(topic);
                assertThat(cause.getMessage()).contains(topic, "0x01");
            });

            consumer.seek(tp, magic.offset() + 1); // what a dead-letter handler does: skip it and go on
            RecordDeserializationException unknown = pollForError(consumer);
            assertThat(unknown.topicPartition()).isEqualTo(tp);
            assertThat(unknown.offset()).isEqualTo(2L);
            assertThat(unknown.getCause()).isInstanceOfSatisfying(RecordDecodingException.class, cause -> {
                assertThat(cause.reason()).isEqualTo(RecordDecodingException.Reason.UNKNOWN_SCHEMA_ID);
                assertThat(cause.topic()).isEqualTo(topic);
                assertThat(cause.schemaId()).isGreaterThan(0x7f000000);
            });

            consumer.seek(tp, unknown.offset() + 1);
            assertThat(pollUntil(consumer, 1))
                    .singleElement()
                    .satisfies(r -> assertThat(r.offset()).isEqualTo(3L));
        }
    }

    private static <T> RecordDeserializationException pollForError(KafkaConsumer<String, T> consumer) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            RecordDeserializationException e = catchThrowableOfType(
                    RecordDeserializationException.class, () -> consumer.poll(Duration.ofMillis(200)));
            if (e != null) {
                return e;
            }
        }
        throw new AssertionError("no RecordDeserializationException within 30 s");
    }

    private static <T> List<ConsumerRecord<String, T>> pollUntil(KafkaConsumer<String, T> consumer, int n) {
        List<ConsumerRecord<String, T>> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (got.size() < n && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(got::add);
        }
        return got;
    }

    private static Map<String, Object> producerConfig() {
        return Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                STACK.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true);
    }

    private static Map<String, Object> consumerConfig() {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                STACK.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                1);
    }
}
