package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.processor.metrics.ProcessorMetrics;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * A task that Kafka Streams revives (after a TaskCorruptedException under exactly-once, for instance: a transaction
 * that failed or timed out) keeps its processor instances: Streams calls {@code close()} and then {@code init()} again
 * on the same {@link HopProcessor}. The revived processor must work as a new one would.
 */
class HopProcessorReviveTest {

    private static final String STORE = FallbackTopology.storeName(0);

    private final RelayConfig config = new ConfigLoader(n -> Optional.empty()).parse(TopologyHarness.CONFIG, "test");
    private final ScriptedProvider alpha = new ScriptedProvider("alpha");
    private final FallbackServices services = FallbackServices.onCallingThread(
            config.providers(),
            Map.<String, ProviderClient>of("alpha", alpha),
            TopologyHarness.policy(new TopologyHarness.StubBreakers()),
            new ProviderGate(config.providers()),
            ProcessorMetrics.noop(),
            Duration.ofMillis(5),
            Duration.ofMillis(50),
            EarlyCalls.disabled(),
            Map.of());

    @Test
    void shouldForwardResultsAfterStreamsClosesAndReInitialisesTheSameProcessor() {
        MockProcessorContext<String, Object> ctx = new MockProcessorContext<>();
        ctx.setCurrentSystemTimeMs(1_000_000);
        KeyValueStore<String, InflightEntry> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(STORE), Serdes.String(), new InflightEntrySerde())
                .withLoggingDisabled()
                .withCachingDisabled()
                .build();
        store.init(ctx.getStateStoreContext(), store);
        ctx.addStateStore(store);
        HopProcessor processor = new HopProcessor(0, 2, STORE, services);

        alpha.hang();
        processor.init(ctx);
        processor.process(new Record<>("job-1", TopologyHarness.job("job-1", "alpha/m1", "beta/m2"), 0));
        assertThat(alpha.calls()).hasSize(1);

        processor.close(); // the dirty close of a corrupted task; the store keeps job-1, as its restore would
        alpha.answer(ScriptedProvider::ok);
        processor.init(ctx);
        processor.process(new Record<>("job-2", TopologyHarness.job("job-2", "alpha/m1", "beta/m2"), 0));
        punctuate(ctx);

        List<JobResult> results = ctx.forwarded().stream()
                .map(f -> f.record().value())
                .filter(JobResult.class::isInstance)
                .map(JobResult.class::cast)
                .toList();
        assertThat(results).extracting(JobResult::getJobId).containsExactlyInAnyOrder("job-1", "job-2");
        assertThat(results).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED));
        assertThat(store.approximateNumEntries()).isZero();
    }

    /** Runs the punctuators the processor's current incarnation scheduled. */
    private static void punctuate(MockProcessorContext<String, Object> ctx) {
        for (var p : ctx.scheduledPunctuators()) {
            if (!p.cancelled()) {
                p.getPunctuator().punctuate(ctx.currentSystemTimeMs());
            }
        }
    }
}
