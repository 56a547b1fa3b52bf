package dev.relay.testkit;

import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A Kafka broker in a container (Testcontainers' Kafka module, KRaft, Apache's image), for machines with a Docker
 * engine: {@code -Drelay.it.broker=testcontainers}. The image follows the Kafka version of the build unless
 * {@code -Drelay.it.kafka-image} names another. Loaded only by name from {@link TestBroker#start()}; this class is
 * the only one that touches Testcontainers. This repository's CI has no Docker and never runs this path.
 */
final class ContainerTestBroker implements TestBroker {

    private final KafkaContainer container;

    private ContainerTestBroker(KafkaContainer container) {
        this.container = container;
    }

    /** Called reflectively by {@link TestBroker#start()}. */
    public static TestBroker start() {
        String image = System.getProperty("relay.it.kafka-image", "apache/kafka:" + kafkaVersion());
        KafkaContainer container = new KafkaContainer(DockerImageName.parse(image))
                // Streams under exactly_once_v2 needs these on a single broker
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        container.start();
        return new ContainerTestBroker(container);
    }

    private static String kafkaVersion() {
        String v = org.apache.kafka.common.utils.internals.AppInfoParser.getVersion();
        return v == null || v.equals("unknown") ? "latest" : v;
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
