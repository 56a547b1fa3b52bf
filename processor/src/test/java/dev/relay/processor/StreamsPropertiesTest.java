package dev.relay.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.ConfigLoader;
import dev.relay.config.KafkaSettings;
import dev.relay.processor.topology.DeadLetterDeserializationHandler;
import dev.relay.schemas.Topics;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsPropertiesTest {

    @TempDir
    Path dir;

    private KafkaSettings kafka(String extra) {
        String json = """
                {"kafka": {"application_id": "relay-x", "state_dir": "%s" %s}}
                """.formatted(dir.toString().replace("\\", "/"), extra);
        return new ConfigLoader(n -> Optional.empty()).parse(json, "test").kafka();
    }

    @Test
    void shouldUseExactlyOnceShortIntervalsAndDeadLetterHandlersByDefault() {
        var p = StreamsProperties.of(kafka(""), Topics.defaults());
        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
        assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo("5");
        assertThat(p.get(StreamsConfig.POLL_MS_CONFIG)).isEqualTo("5");
        assertThat(p.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG)).isEqualTo("-1");
        assertThat(p.get("producer.max.in.flight.requests.per.connection")).isEqualTo("1");
        assertThat(p.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG))
                .isEqualTo("relay.deadletter");
        assertThat(p.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(DeadLetterDeserializationHandler.class);
    }

    @Test
    void shouldDetectADeadInstanceWithinSixSecondsUnlessOverridden() {
        var p = StreamsProperties.of(kafka(""), Topics.defaults());
        assertThat(p.get("main.consumer.session.timeout.ms")).isEqualTo("6000");
        assertThat(p.get("main.consumer.heartbeat.interval.ms")).isEqualTo("1500");
        assertThat(p.get("producer.transaction.timeout.ms")).isEqualTo("5000");
        var slow =
                StreamsProperties.of(kafka(", \"properties\": {\"session.timeout.ms\": \"45000\"}"), Topics.defaults());
        assertThat(slow.get("session.timeout.ms")).isEqualTo("45000");
        assertThat(slow.get("main.consumer.session.timeout.ms"))
                .as("the prefixed default would win")
                .isNull();
    }

    @Test
    void shouldKeepTheSameStaticMembershipIdAcrossRestarts() {
        String first =
                (String) StreamsProperties.of(kafka(""), Topics.defaults()).get("main.consumer.group.instance.id");
        String again =
                (String) StreamsProperties.of(kafka(""), Topics.defaults()).get("main.consumer.group.instance.id");
        assertThat(first).startsWith("relay-x-").isEqualTo(again);
        assertThat(dir.resolve(StreamsProperties.INSTANCE_ID_FILE)).exists();
    }

    @Test
    void shouldLetPropertiesOverrideTheInstanceId() {
        var p = StreamsProperties.of(kafka(", \"properties\": {\"group.instance.id\": \"proc-a\"}"), Topics.defaults());
        assertThat(p.get("group.instance.id")).isEqualTo("proc-a");
        assertThat(p.get("main.consumer.group.instance.id")).isNull();
    }
}
