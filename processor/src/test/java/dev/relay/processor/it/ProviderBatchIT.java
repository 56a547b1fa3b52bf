package dev.relay.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.StackConfig;
import dev.relay.testkit.provider.FakeBatches;
import dev.relay.testkit.provider.FakeBatches.Fate;
import dev.relay.testkit.provider.FakeProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Items of a 24 h batch through the providers' batch APIs on the real broker and registry: the OpenAI batch fails 10 %
 * of the items (errored, 500: retried once in a new OpenAI batch, then the next hop) and lets 10 % expire (TIMEOUT:
 * the next hop at once); those go to Anthropic's Message Batches. Every item ends exactly once, and the results, the
 * audit topic and the fakes' submissions agree item by item.
 */
@Tag("it")
@Timeout(180)
class ProviderBatchIT {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatchIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    /** {@code -Drelay.it.batchItems=10000} for the full-size run. */
    private static final int ITEMS = Integer.getInteger("relay.it.batchItems", 2000);

    private static final int FAILING_PERMILLE = 200;

    @TempDir
    Path stateDir;

    @Test
    void shouldServeEveryItemOnceByTheOpenAiBatchOrTheAnthropicBatch() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        try (FakeProvider openai = FakeProvider.start();
                FakeProvider anthropic = FakeProvider.start()) {
            FakeBatches openaiBatches =
                    FakeBatches.on(openai).failing(FAILING_PERMILLE).completionDelay(Duration.ofMillis(500));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic).completionDelay(Duration.ofMillis(500));
            var config = RelayIt.config(StackConfig.on(STACK, topics)
                    .stateDir(stateDir)
                    .openAiAndAnthropicBatches(openai.baseUrl(), anthropic.baseUrl())
                    .json());
            try (RelayProcessor processor = RelayProcessor.start(config)) {
                // producing into topics made a moment ago, before the processor ran, once met the idempotent
                // producer's OUT_OF_ORDER_SEQUENCE_NUMBER loop after a NOT_LEADER_OR_FOLLOWER: wait until it runs
                assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
                List<Job> jobs = RelayIt.batchItems("pb-", ITEMS, "batch_it", RelayIt.BATCH_CHAIN);
                long t0 = System.nanoTime();
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);
                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, ITEMS, Duration.ofSeconds(120));
                long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                List<AttemptRecord> audit = RelayIt.readUntil(
                        STACK.bootstrapServers(),
                        topics.attempts(),
                        serdes.attempt().deserializer(),
                        ITEMS,
                        Duration.ofSeconds(30));

                Map<String, Long> perJob =
                        results.stream().collect(Collectors.groupingBy(JobResult::getJobId, Collectors.counting()));
                assertThat(perJob).hasSize(ITEMS);
                assertThat(perJob.values()).allMatch(n -> n == 1);
                assertThat(results).allMatch(r -> r.getStatus() == JobStatus.SUCCEEDED);

                Map<String, List<AttemptRecord>> auditByJob =
                        audit.stream().collect(Collectors.groupingBy(a -> a.getJobId()));
                Map<String, Integer> openaiItems = openaiBatches.itemsSubmitted();
                Map<String, Integer> anthropicItems = anthropicBatches.itemsSubmitted();
                int byOpenAi = 0;
                int byAnthropic = 0;
                for (JobResult r : results) {
                    String id = r.getJobId();
                    Fate fate = FakeBatches.fateOf(id, FAILING_PERMILLE);
                    AttemptSummary last = r.getAttempts().get(r.getAttempts().size() - 1);
                    assertThat(r.getAttempts()).allMatch(a -> a.getServiceTier().equals("batch"));
                    assertThat(r.getAttempts()).allMatch(a -> a.getProviderBatchId() != null);
                    if (fate == Fate.SUCCEED) {
                        byOpenAi++;
                        assertThat(r.getProvider()).isEqualTo("openai");
                        assertThat(r.getAttempts()).hasSize(1);
                        assertThat(anthropicItems).doesNotContainKey(id);
                    } else {
                        byAnthropic++;
                        assertThat(r.getProvider())
                                .as("provider of %s (%s)", id, fate)
                                .isEqualTo("anthropic");
                        assertThat(last.getProviderBatchId()).startsWith("msgbatch_");
                        // errored (500, TRANSIENT): retried once in a new OpenAI batch; expired (TIMEOUT): not retried
                        assertThat(r.getAttempts()).hasSize(fate == Fate.ERROR ? 3 : 2);
                        assertThat(anthropicItems.get(id)).isEqualTo(1);
                    }
                    assertThat(openaiItems.get(id))
                            .as("OpenAI submissions of %s", id)
                            .isEqualTo(fate == Fate.ERROR ? 2 : 1);
                    assertThat(auditByJob.get(id))
                            .as("audit of %s", id)
                            .hasSize(r.getAttempts().size())
                            .allMatch(a -> a.getServiceTier().equals("batch"));
                    assertThat(auditByJob.get(id).stream()
                                    .map(AttemptRecord::getProviderBatchId)
                                    .toList())
                            .containsExactlyInAnyOrderElementsOf(r.getAttempts().stream()
                                    .map(AttemptSummary::getProviderBatchId)
                                    .toList());
                }
                // no item went out as a real-time call
                assertThat(openai.requests().stream().filter(q -> q.path().endsWith("/chat/completions")))
                        .isEmpty();
                assertThat(anthropic.requests().stream().filter(q -> q.path().equals("/v1/messages")))
                        .isEmpty();
                log.info(
                        "provider batches: {} items in {} ms; {} served by the OpenAI batch ({} OpenAI batches),"
                                + " {} by the Anthropic batch ({} message batches)",
                        ITEMS,
                        ms,
                        byOpenAi,
                        openaiBatches.submissions(),
                        byAnthropic,
                        anthropicBatches.submissions());
                assertThat(byOpenAi).isBetween(ITEMS * 70 / 100, ITEMS * 90 / 100);
            }
        }
    }
}
