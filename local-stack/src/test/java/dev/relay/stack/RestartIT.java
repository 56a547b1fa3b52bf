package dev.relay.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code relay up} relies on: topics, records and schemas survive a restart on the same directory. */
@Tag("integration")
class RestartIT {

    @TempDir
    Path dir;

    @Test
    void shouldKeepTopicsAndRecordsWhenTheBrokerRestartsOnTheSameDirectory() throws Exception {
        Topics topics = new Topics("restart.", 1);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0)) {
            assertThat(TopicSetup.createAll(broker.bootstrapServers(), topics, 3))
                    .hasSize(topics.all().size());
            try (var producer = new KafkaProducer<>(
                    Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringSerializer(),
                    new StringSerializer())) {
                producer.send(new ProducerRecord<>(topics.results(), "job-1", "done"))
                        .get();
            }
        }
        assertThat(Files.exists(dir.resolve("kafka/meta.properties"))).isTrue();

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0)) {
            assertThat(TopicSetup.createAll(broker.bootstrapServers(), topics, 3))
                    .isEmpty(); // idempotent
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                var results = new ConfigResource(ConfigResource.Type.TOPIC, topics.results());
                ConfigEntry policy = admin.describeConfigs(List.of(results))
                        .all()
                        .get()
                        .get(results)
                        .get("cleanup.policy");
                assertThat(policy.value()).isEqualTo("compact");
                assertThat(admin.describeTopics(List.of(topics.results()))
                                .allTopicNames()
                                .get()
                                .get(topics.results())
                                .partitions())
                        .hasSize(3);
            }
            try (var consumer = new KafkaConsumer<>(
                    Map.<String, Object>of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            broker.bootstrapServers(),
                            ConsumerConfig.GROUP_ID_CONFIG,
                            "restart-" + UUID.randomUUID(),
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                            "earliest"),
                    new StringDeserializer(),
                    new StringDeserializer())) {
                consumer.subscribe(List.of(topics.results()));
                List<String> values = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (values.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.key() + "=" + r.value()));
                }
                assertThat(values).containsExactly("job-1=done");
            }
        }
    }

    @Test
    void shouldKeepSchemasWhenTheRegistryRestartsOnTheSameDirectory() {
        Schema schema = new Schema.Parser().parse("""
                {"type":"record","name":"Kept","fields":[{"name":"id","type":"string"}]}""");
        int id;
        try (ApicurioRegistry registry = ApicurioRegistry.start(dir.resolve("registry"), 0)) {
            id = SchemaRegistryClient.create(registry.ccompatUrl()).register("kept-value", schema);
        }
        assertThat(dir.resolve("registry/registry.log")).isNotEmptyFile();

        try (ApicurioRegistry registry = ApicurioRegistry.start(dir.resolve("registry"), 0)) {
            SchemaRegistryClient client = SchemaRegistryClient.create(registry.ccompatUrl());
            assertThat(client.getById(id)).isEqualTo(schema);
            assertThat(client.getLatest("kept-value").id()).isEqualTo(id);
            assertThat(client.register("kept-value", schema)).isEqualTo(id);
        }
    }
}
