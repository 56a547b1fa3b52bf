package dev.relay.replay;

import static dev.relay.replay.TestRecords.chain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The projection reads the same filter fields as a full decode (against the in-memory registry fake). */
class FailedJobProbeTest {

    private static InMemorySchemaRegistry registry;
    private static RelaySerdes serdes;

    @BeforeAll
    static void start() {
        registry = InMemorySchemaRegistry.start();
        serdes = RelaySerdes.create(SchemaRegistryClient.create(registry.url()));
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void shouldReadTheFilterFieldsLikeAFullDecode() {
        Instant t = Instant.parse("2026-11-24T20:00:00Z");
        Job job = TestRecords.job("j-1", 2, "acme", "b7", chain("openai/gpt-4o", "gemini/gemini-2.5-flash"), t);
        FailedJob failed = TestRecords.failed(job, OutcomeClass.RATE_LIMITED, t.plusSeconds(3));
        byte[] bytes = serdes.failed().serialize("p.failed", failed);

        FailedJobProbe probe = new FailedJobProbe(serdes.registry());
        Candidate light = probe.probe("p.failed", 1, 42, t.toEpochMilli(), bytes);
        Candidate full = Candidate.fromFailed(
                serdes.failed().deserialize("p.failed", bytes), "p.failed", 1, 42, t.toEpochMilli());

        assertThat(light.job()).isNull();
        assertThat(light)
                .usingRecursiveComparison()
                .ignoringFields("job", "attempts", "failedBytes")
                .isEqualTo(full);
        // kept encoded by the scan, decoded whole when republished
        Candidate kept = light.withFailedBytes(bytes);
        assertThat(kept.hasJob()).isTrue();
        assertThat(kept.resolve(serdes)).usingRecursiveComparison().isEqualTo(full);
        assertThat(light.hasJob()).isFalse();
        // twice, to exercise the reused record and decoder
        assertThat(probe.probe("p.failed", 1, 43, t.toEpochMilli(), bytes).jobId())
                .isEqualTo("j-1");
    }

    @Test
    void shouldRefuseBytesThatAreNotAFailedJob() {
        FailedJobProbe probe = new FailedJobProbe(serdes.registry());
        assertThatThrownBy(() -> probe.probe("p.failed", 0, 0, 0, new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
