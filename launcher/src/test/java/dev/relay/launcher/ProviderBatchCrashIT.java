package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.processor.it.RelayIt;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kill -9 of the processor (a child JVM, {@code RelayMain processor}) while its provider batches are running at the provider: after the restart
 * the new processor resumes polling them, no provider batch is submitted again (the fake counts the batches created
 * per Relay marker, and the submissions per item), and every item ends exactly once.
 */
@Tag("it")
@Timeout(240)
class ProviderBatchCrashIT {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatchCrashIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final int ITEMS = 600;
    private static final int FAILING_PERMILLE = 200;

    @Test
    void shouldNeitherSubmitAgainNorEndAnItemTwiceWhenProcessorIsKilledWithProviderBatchesRunning() throws Exception {
        Path dir = RoleJvm.workDir("provider-batch-crash-it");
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        try (FakeProvider openai = FakeProvider.start();
                FakeProvider anthropic = FakeProvider.start()) {
            // the provider batches outlive the first processor: they end only well after the kill
            FakeBatches openaiBatches =
                    FakeBatches.on(openai).failing(FAILING_PERMILLE).completionDelay(Duration.ofMinutes(10));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic).completionDelay(Duration.ofMillis(500));
            // OpenAI's batch API fails or lets expire 20 % (errored: one retry; expired: the next hop), then
            // Anthropic's
            Path config = RoleJvm.writeConfig(
                    dir,
                    StackConfig.on(STACK, topics).openAiAndAnthropicBatches(openai.baseUrl(), anthropic.baseUrl()));
            Process first = RoleJvm.runningProcessor(dir, "first");
            int submittedAtKill;
            try {
                List<Job> jobs = RelayIt.batchItems("crash-pb-", ITEMS, "batch_it", RelayIt.BATCH_CHAIN);
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (openaiBatches.itemsSubmitted().size() < ITEMS && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                assertThat(openaiBatches.itemsSubmitted()).hasSize(ITEMS);
                submittedAtKill = openaiBatches.submissions();
                first.destroyForcibly().waitFor(); // kill -9
            } finally {
                first.destroyForcibly();
            }
            openaiBatches.completionDelay(Duration.ofMillis(500)); // the running batches end now

            Process second = RoleJvm.start("processor", config, dir.resolve("second.log"));
            try {
                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, ITEMS, Duration.ofSeconds(120));
                Map<String, Long> perJob =
                        results.stream().collect(Collectors.groupingBy(JobResult::getJobId, Collectors.counting()));
                assertThat(perJob).hasSize(ITEMS);
                assertThat(perJob.values()).as("results per item").allMatch(n -> n == 1);
                assertThat(results).allMatch(r -> r.getStatus() == JobStatus.SUCCEEDED);
                // no provider batch was created twice: one per marker, and each item went out once per attempt
                assertThat(openaiBatches.markers().values()).allMatch(n -> n == 1);
                Map<String, Integer> openaiItems = openaiBatches.itemsSubmitted();
                for (JobResult r : results) {
                    Fate fate = FakeBatches.fateOf(r.getJobId(), FAILING_PERMILLE);
                    assertThat(openaiItems.get(r.getJobId()))
                            .as("OpenAI batch submissions of %s (%s)", r.getJobId(), fate)
                            .isEqualTo(fate == Fate.ERROR ? 2 : 1);
                    assertThat(r.getProvider()).isEqualTo(fate == Fate.SUCCEED ? "openai" : "anthropic");
                    // an item whose provider batch ran on through the kill keeps its attempt's number
                    assertThat(r.getAttempts().get(0).getAttempt()).isEqualTo(1);
                }
                assertThat(Files.readString(dir.resolve("second.log"))).contains("resuming");
                log.info(
                        "provider batch crash: {} OpenAI batches running at the kill; after the restart {} OpenAI"
                                + " batches in all (the new ones hold the retries of errored items), {} message"
                                + " batches; {} items, each ended once",
                        submittedAtKill,
                        openaiBatches.submissions(),
                        anthropicBatches.submissions(),
                        perJob.size());
            } finally {
                RoleJvm.stop(second);
            }
        }
    }
}
