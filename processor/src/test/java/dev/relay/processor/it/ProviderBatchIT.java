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

    /** A processor on the stack with the two batch providers. */
    private RelayProcessor start(Topics topics, FakeProvider openai, FakeProvider anthropic) {
        return RelayProcessor.start(RelayIt.config(StackConfig.on(STACK, topics)
                .stateDir(stateDir)
                .openAiAndAnthropicBatches(openai.baseUrl(), anthropic.baseUrl())
                .json()));
    }

    @Test
    void shouldServeEveryItemOnceByTheOpenAiBatchOrTheAnthropicBatch() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        try (FakeProvider openai = FakeProvider.start();
                FakeProvider anthropic = FakeProvider.start()) {
            FakeBatches openaiBatches =
                    FakeBatches.on(openai).failing(FAILING_PERMILLE).completionDelay(Duration.ofMillis(500));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic).completionDelay(Duration.ofMillis(500));
            try (RelayProcessor processor = start(topics, openai, anthropic)) {
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

    /**
     * Result files with a line cut short ({@code gb-}: OpenAI's output file; {@code gx-}: Anthropic's results too) and
     * items left out ({@code om-}): the poll that reads them settles the batch; the well-formed lines' items keep their
     * results, the others fail as TRANSIENT (the cut line's number in the audit), are retried once in a new OpenAI
     * batch, then go to Anthropic; an item that fails there too ends with the primary's error.
     */
    @Test
    void shouldSettleABatchWhoseResultFileHasAnUnreadableLineAndAMissingItem() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        try (FakeProvider openai = FakeProvider.start();
                FakeProvider anthropic = FakeProvider.start()) {
            FakeBatches openaiBatches = FakeBatches.on(openai)
                    .completionDelay(Duration.ofMillis(300))
                    .fates(id -> id.startsWith("gb-") || id.startsWith("gx-")
                            ? Fate.GARBLE
                            : id.startsWith("om-") ? Fate.OMIT : Fate.SUCCEED);
            FakeBatches anthropicBatches = FakeBatches.on(anthropic)
                    .completionDelay(Duration.ofMillis(300))
                    .fates(id -> id.startsWith("gx-") ? Fate.GARBLE : Fate.SUCCEED);
            try (RelayProcessor processor = start(topics, openai, anthropic)) {
                assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
                List<Job> jobs = new java.util.ArrayList<>();
                jobs.addAll(RelayIt.batchItems("ok-", 20, "batch_it", RelayIt.BATCH_CHAIN));
                jobs.addAll(RelayIt.batchItems("gb-", 4, "batch_it", RelayIt.BATCH_CHAIN));
                jobs.addAll(RelayIt.batchItems("om-", 4, "batch_it", RelayIt.BATCH_CHAIN));
                jobs.addAll(RelayIt.batchItems("gx-", 2, "batch_it", RelayIt.BATCH_CHAIN));
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);
                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, jobs.size(), Duration.ofSeconds(30));
                List<AttemptRecord> audit = RelayIt.attempts(STACK.bootstrapServers(), serdes, topics, jobs.size());

                Map<String, List<JobResult>> byId =
                        results.stream().collect(Collectors.groupingBy(JobResult::getJobId));
                assertThat(byId)
                        .hasSize(jobs.size())
                        .allSatisfy((id, rs) ->
                                assertThat(rs).as("results of %s", id).hasSize(1));
                Map<String, List<AttemptRecord>> auditById =
                        audit.stream().collect(Collectors.groupingBy(a -> a.getJobId()));
                for (JobResult r : results) {
                    String id = r.getJobId();
                    List<AttemptRecord> attempts = auditById.get(id);
                    if (id.startsWith("ok-")) {
                        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
                        assertThat(r.getProvider()).isEqualTo("openai");
                        assertThat(attempts).as("audit of %s", id).hasSize(1);
                        continue;
                    }
                    // two OpenAI attempts (one retry in a new batch), then Anthropic's batch (twice for gx-)
                    assertThat(attempts)
                            .as("audit of %s", id)
                            .extracting(AttemptRecord::getProvider)
                            .containsExactly(
                                    id.startsWith("gx-")
                                            ? new String[] {"openai", "openai", "anthropic", "anthropic"}
                                            : new String[] {"openai", "openai", "anthropic"});
                    String code = id.startsWith("om-") ? "batch_item_missing" : "batch_result_unreadable";
                    for (AttemptRecord a : attempts.subList(0, 2)) {
                        assertThat(a.getErrorCode()).as("error of %s", id).isEqualTo(code);
                        if (!id.startsWith("om-")) {
                            assertThat(a.getErrorMessage()).matches(".*line \\d+ of .*could not be read.*");
                        }
                        assertThat(a.getErrorMessage()).doesNotContain("sk-");
                    }
                    if (id.startsWith("gx-")) {
                        // all hops failed: the caller gets the primary's error
                        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
                        assertThat(attempts.subList(2, 4))
                                .extracting(AttemptRecord::getErrorCode)
                                .containsOnly("batch_result_unreadable");
                        assertThat(attempts.get(3).getErrorMessage()).contains("results of message batch");
                        assertThat(r.getError().getCode()).isEqualTo("batch_result_unreadable");
                        assertThat(r.getError().getMessage())
                                .contains("output file")
                                .doesNotContain("sk-");
                    } else {
                        assertThat(r.getStatus()).as("status of %s", id).isEqualTo(JobStatus.SUCCEEDED);
                        assertThat(r.getProvider()).isEqualTo("anthropic");
                    }
                }
                assertThat(openaiBatches.itemsSubmitted()).hasSize(jobs.size());
                assertThat(anthropicBatches.itemsSubmitted()).hasSize(10);
            }
        }
    }
}
