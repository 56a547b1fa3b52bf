package dev.relay.testkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.schemas.Job;
import dev.relay.schemas.serde.AvroSerde;
import dev.relay.schemas.serde.RecordDecodingException;
import dev.relay.schemas.serde.RecordDecodingException.Reason;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every way bytes can fail to decode, against the in-process registry (the ITs cover the real one). */
class AvroSerdeTest {

    private static InMemorySchemaRegistry registry;

    @BeforeAll
    static void start() {
        registry = InMemorySchemaRegistry.start();
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static AvroSerde<Job> serde() {
        return RelaySerdes.create(SchemaRegistryClient.create(registry.url())).job();
    }

    private static void assertFails(AvroSerde<Job> serde, byte[] bytes, Reason reason) {
        assertThatThrownBy(() -> serde.deserialize("relay.jobs", bytes))
                .isInstanceOfSatisfying(RecordDecodingException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.topic()).isEqualTo("relay.jobs");
                    assertThat(e.getMessage()).contains("relay.jobs", reason.name());
                });
    }

    @Test
    void shouldRoundTripThroughTheFake() {
        byte[] bytes = serde().serialize("relay.jobs", SampleRecords.job("j1"));
        assertThat(serde().deserialize("relay.jobs", bytes)).isEqualTo(SampleRecords.job("j1"));
    }

    @Test
    void shouldRefuseBytesShorterThanTheHeader() {
        assertFails(serde(), new byte[] {0, 0, 0}, Reason.TOO_SHORT);
    }

    @Test
    void shouldRefuseAWrongMagicByte() {
        byte[] bytes = serde().serialize("relay.jobs", SampleRecords.job("j1"));
        bytes[0] = 7;
        assertFails(serde(), bytes, Reason.BAD_MAGIC_BYTE);
    }

    @Test
    void shouldRefuseAnUnknownSchemaId() {
        byte[] bytes = serde().serialize("relay.jobs", SampleRecords.job("j1"));
        bytes[1] = 0x40;
        assertFails(serde(), bytes, Reason.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void shouldRefuseATruncatedAvroBody() {
        byte[] bytes = serde().serialize("relay.jobs", SampleRecords.job("j1"));
        assertFails(serde(), Arrays.copyOf(bytes, bytes.length / 2), Reason.BAD_AVRO);
    }

    @Test
    void shouldSayTheRegistryIsUnavailableWhenItCannotBeReached() throws Exception {
        byte[] bytes = serde().serialize("relay.jobs", SampleRecords.job("j1"));
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        AvroSerde<Job> offline = RelaySerdes.create(SchemaRegistryClient.create("http://127.0.0.1:" + closedPort))
                .job();
        assertFails(offline, bytes, Reason.REGISTRY_UNAVAILABLE);
    }
}
