package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.provider.batch.BatchFailures;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch tier in the real topology (TopologyTestDriver, scripted batch APIs): items grouped into one provider batch
 * per provider and model, each result settled by its custom_id (an unknown one counted, never used), a failed item
 * down its chain to the next provider's batch, and a restart that resumes polling, or finds a cut-off submit by its
 * marker, without submitting again.
 */
class ProviderBatchTopologyTest {

    static final String CONFIG = """
            {"providers": {
               "openai": {"type": "openai", "keys": [{"name": "ok1", "value": "sk-o"}],
                          "network_config": {"max_retries": 0},
                          "batch": {"enabled": true, "max_items": 100, "max_wait": "100ms", "poll_interval": "50ms"}},
               "anthropic": {"type": "anthropic", "keys": [{"name": "ak1", "value": "sk-a"}],
                             "batch": {"enabled": true, "max_items": 100, "max_wait": "100ms", "poll_interval": "50ms"}}}}
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;

    final InMemorySchemaRegistry registry = InMemorySchemaRegistry.start();
    final Map<String, SurvivingStore.Disk> disk = new ConcurrentHashMap<>();
    final ScriptedBatchApi openai = new ScriptedBatchApi("batch_");
    final ScriptedBatchApi anthropic = new ScriptedBatchApi("msgbatch_");
    TopologyHarness h;

    @BeforeEach
    void start() {
        h = harness();
    }

    private TopologyHarness harness() {
        return new TopologyHarness(
                registry,
                stateDir,
                disk,
                EarlyCalls.disabled(),
                CONFIG,
                Map.of("openai", openai, "anthropic", anthropic));
    }

    @AfterEach
    void stop() {
        h.close();
        registry.close();
    }

    private static Job item(String id) {
        Job j = TopologyHarness.job(id, "openai/gpt-4o-mini", "anthropic/claude");
        j.setCompletionWindow("24h");
        return j;
    }

    private static BatchApi.ItemResult ok(String customId) {
        ObjectNode c = JSON.createObjectNode();
        c.put("object", "chat.completion");
        c.putArray("choices").addObject().putObject("message").put("content", "hi " + customId);
        return new BatchApi.ItemResult(customId, new AttemptOutcome.Success(c, 200, new AttemptOutcome.Usage(5, 2, 7)));
    }

    private static BatchApi.ItemResult expired(String customId) {
        return new BatchApi.ItemResult(customId, BatchFailures.of(BatchFailures.EXPIRED, "expired"));
    }

    /** Lets the groups seal and their submits go out (about a second after the sealing). */
    private void submitAll() {
        h.advance(Duration.ofMillis(1_300));
    }

    /** The ingress's cancel: the batch's catalog record with {@code cancelling_at}, on the batches topic. */
    private void cancel(String batchId) {
        h.driver
                .createInputTopic(
                        h.topics.batches(),
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        new org.apache.kafka.common.serialization.StringSerializer())
                .pipeInput(batchId, "{\"id\": \"" + batchId + "\", \"object\": \"batch\", \"cancelling_at\": 1}");
    }

    private static Job item(String id, String batchId) {
        Job j = item(id);
        j.setBatchId(batchId);
        return j;
    }

    @Test
    void shouldCancelAProviderBatchWhoseItemsAllBelongToCancelledBatchesAndEndItsUnfinishedItemsOnce() {
        h.submit(item("c1", "batch_x"));
        h.submit(item("c2", "batch_x"));
        h.submit(item("c3", "batch_x"));
        submitAll();
        assertThat(openai.submits).hasSize(1);
        h.submit(item("c4", "batch_x")); // waits in a group, not yet submitted
        cancel("batch_x");
        h.advance(Duration.ofMillis(1_500));

        assertThat(openai.cancels).containsExactly("batch_0");
        assertThat(openai.submits)
                .as("the group of cancelled items is never submitted")
                .hasSize(1);
        openai.end("batch_0", List.of(ok("c1"), cancelled("c2")));
        h.advance(Duration.ofMillis(200));

        List<JobResult> results = h.results.readValuesToList();
        assertThat(results).extracting(JobResult::getJobId).containsExactlyInAnyOrder("c1", "c2", "c3", "c4");
        for (JobResult r : results) {
            if (r.getJobId().equals("c1")) {
                assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED); // done before the cancel: kept
            } else {
                assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
                assertThat(r.getError().getCode()).isEqualTo("batch_cancelled");
            }
        }
        // c2 (cancelled) and c3 (missing) had an attempt in the batch and end without a retry or the next hop; c4 none
        List<AttemptRecord> attempts = h.attempts.readValuesToList();
        assertThat(attempts).extracting(a -> a.getJobId().toString()).containsExactlyInAnyOrder("c1", "c2", "c3");
        assertThat(h.hop1.readValuesToList()).isEmpty();
        assertThat(anthropic.submits).isEmpty();
        assertThat(openai.submits).hasSize(1);
        assertThat(h.failed.readValuesToList())
                .extracting(f -> f.getTerminalReason().toString())
                .containsOnly("BATCH_CANCELLED")
                .hasSize(3);
    }

    @Test
    void shouldLeaveAProviderBatchSharedWithALiveBatchRunning() {
        h.submit(item("s1", "batch_x"));
        h.submit(item("s2", "batch_live"));
        submitAll();
        cancel("batch_x");
        h.advance(Duration.ofMillis(1_500));
        assertThat(openai.cancels).isEmpty();

        openai.end("batch_0", List.of(cancelled("s1"), cancelled("s2")));
        h.advance(Duration.ofMillis(200));
        // the live batch's item goes on (to the next provider's batch); the cancelled batch's item ends
        assertThat(h.results.readValuesToList()).singleElement().satisfies(r -> {
            assertThat(r.getJobId()).isEqualTo("s1");
            assertThat(r.getError().getCode()).isEqualTo("batch_cancelled");
        });
        assertThat(h.hop1.readValuesToList()).extracting(Job::getJobId).containsExactly("s2");
    }

    @Test
    void shouldAskAgainForACancelThatFailedWhenTheBatchIsNextDue() {
        openai.cancelFailures = 1;
        h.submit(item("f1", "batch_x"));
        h.submit(item("f2", "batch_x"));
        submitAll();
        cancel("batch_x");
        h.advance(Duration.ofMillis(1_500));

        assertThat(openai.cancels)
                .as("a failed cancel, then one that went through")
                .containsExactly("batch_0", "batch_0");
        openai.end("batch_0", List.of(ok("f1"), cancelled("f2")));
        h.advance(Duration.ofMillis(200));
        assertThat(h.results.readValuesToList())
                .extracting(r -> r.getJobId() + ":" + r.getStatus())
                .containsExactlyInAnyOrder("f1:SUCCEEDED", "f2:FAILED");
        assertThat(h.meters
                        .counter("relay.provider_batches", "provider", "openai", "event", "cancel_failed")
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldStopAskingForACancelAfterFiveFailedCalls() {
        openai.cancelFailures = 100;
        h.submit(item("g1", "batch_x"));
        submitAll();
        cancel("batch_x");
        h.advance(Duration.ofMillis(2_000)); // poll_interval 50 ms: the five calls go out within about 250 ms

        assertThat(openai.cancels).hasSize(ProviderBatchPolling.CANCEL_CALLS).containsOnly("batch_0");
        int polls = openai.polls;
        h.advance(Duration.ofMillis(300));
        assertThat(openai.cancels).hasSize(ProviderBatchPolling.CANCEL_CALLS);
        assertThat(openai.polls).as("polled on, to its end").isGreaterThan(polls);
        // the batch runs to its end: a result the provider had is kept
        openai.end("batch_0", List.of(ok("g1")));
        h.advance(Duration.ofMillis(200));
        assertThat(h.results.readValuesToList())
                .extracting(r -> r.getJobId() + ":" + r.getStatus())
                .containsExactly("g1:SUCCEEDED");
    }

    private static BatchApi.ItemResult cancelled(String customId) {
        return new BatchApi.ItemResult(customId, BatchFailures.of(BatchFailures.CANCELLED, "canceled"));
    }

    @Test
    void shouldGroupItemsIntoOneProviderBatchAndSettleEachResultByItsCustomId() {
        h.submit(item("b1"));
        h.submit(item("b2"));
        h.submit(item("b3"));
        Job realtime = TopologyHarness.job("r1", "openai/gpt-4o-mini");
        h.submit(realtime);
        submitAll();

        assertThat(openai.submits).hasSize(1);
        assertThat(openai.last().items()).extracting(BatchApi.Item::customId).containsExactly("b1", "b2", "b3");
        assertThat(openai.last().model()).isEqualTo("gpt-4o-mini");
        assertThat(h.provider("openai").calls())
                .extracting(ScriptedProvider.Seen::jobId)
                .containsExactly("r1");

        openai.end("batch_0", List.of(ok("b1"), expired("b2"), ok("ghost"), ok("b3")));
        h.advance(Duration.ofMillis(100));

        List<JobResult> results = h.results.readValuesToList();
        assertThat(results).extracting(JobResult::getJobId).containsExactlyInAnyOrder("r1", "b1", "b3");
        JobResult b1 = results.stream()
                .filter(r -> r.getJobId().equals("b1"))
                .findFirst()
                .orElseThrow();
        assertThat(b1.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(b1.getResponseJson()).contains("hi b1");
        assertThat(b1.getAttempts().get(0).getServiceTier()).isEqualTo("batch");
        assertThat(b1.getAttempts().get(0).getProviderBatchId()).isEqualTo("batch_0");
        List<AttemptRecord> audit = h.attempts.readValuesToList();
        assertThat(audit.stream().filter(a -> a.getJobId().equals("r1")))
                .allSatisfy(a -> assertThat(a.getServiceTier()).isEqualTo("realtime"));
        assertThat(audit.stream().filter(a -> a.getJobId().equals("b1")))
                .singleElement()
                .satisfies(a -> {
                    assertThat(a.getServiceTier()).isEqualTo("batch");
                    assertThat(a.getProviderBatchId()).isEqualTo("batch_0");
                    assertThat(a.getPromptTokens()).isEqualTo(5);
                });
        assertThat(h.meters
                        .counter("relay.provider_batch.unknown_items", "provider", "openai")
                        .count())
                .isEqualTo(1.0);

        // b2 expired (TIMEOUT): on to hop 1, where it joins an Anthropic batch
        submitAll();
        assertThat(anthropic.submits).hasSize(1);
        assertThat(anthropic.last().items()).extracting(BatchApi.Item::customId).containsExactly("b2");
        anthropic.end("msgbatch_0", List.of(ok("b2")));
        h.advance(Duration.ofMillis(100));
        JobResult b2 = h.results.readValuesToList().stream()
                .filter(r -> r.getJobId().equals("b2"))
                .findFirst()
                .orElseThrow();
        assertThat(b2.getProvider()).isEqualTo("anthropic");
        assertThat(b2.getAttempts())
                .extracting(a -> a.getProvider() + ":" + a.getServiceTier() + ":" + a.getProviderBatchId())
                .containsExactly("openai:batch:batch_0", "anthropic:batch:msgbatch_0");
        assertThat(openai.submits).hasSize(1);
    }

    @Test
    void shouldFailAnItemWhoseResultLineNamesNoItemAsMissingNamingTheLine() {
        h.submit(item("u1"));
        h.submit(item("u2"));
        submitAll();
        String where = "line 2 of the output file of provider batch batch_0 could not be read (not JSON)";
        openai.end(
                "batch_0",
                List.of(ok("u1"), new BatchApi.ItemResult(null, BatchFailures.of(BatchFailures.UNREADABLE, where))));
        h.advance(Duration.ofMillis(200));

        assertThat(h.results.readValuesToList()).singleElement().satisfies(r -> {
            assertThat(r.getJobId()).isEqualTo("u1");
            assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        });
        // u2's line could not be read: it fails as missing (TRANSIENT; max_retries 0), the line named, then hop 1
        assertThat(h.attempts.readValuesToList().stream()
                        .filter(a -> a.getJobId().equals("u2")))
                .singleElement()
                .satisfies(a -> {
                    assertThat(a.getErrorCode()).isEqualTo(BatchFailures.MISSING);
                    assertThat(a.getErrorMessage())
                            .isEqualTo("provider batch batch_0 ended completed without a result for this item; 1 of its"
                                    + " result lines could not be read and name no item, the first: " + where);
                });
        assertThat(h.hop1.readValuesToList()).extracting(Job::getJobId).containsExactly("u2");
        assertThat(h.meters
                        .counter("relay.provider_batch.unknown_items", "provider", "openai")
                        .count())
                .isZero();
    }

    @Test
    void shouldResumePollingAfterARestartWithoutSubmittingAgain() {
        h.submit(item("c1"));
        h.submit(item("c2"));
        submitAll();
        h.advance(Duration.ofMillis(100)); // the batch id is recorded
        assertThat(openai.submits).hasSize(1);
        h.close(); // a crash with the provider batch running

        h = harness();
        h.advance(Duration.ofMillis(1_500));
        assertThat(openai.submits).as("submits after the restart").hasSize(1);
        assertThat(h.provider("openai").calls()).isEmpty();
        openai.end("batch_0", List.of(ok("c1"), ok("c2")));
        h.advance(Duration.ofMillis(100));
        List<JobResult> results = h.results.readValuesToList();
        assertThat(results).extracting(JobResult::getJobId).containsExactlyInAnyOrder("c1", "c2");
        // the attempt ran on at the provider through the restart: it keeps its number
        assertThat(results)
                .allSatisfy(r -> assertThat(r.getAttempts().get(0).getAttempt()).isEqualTo(1));
        h.advance(Duration.ofMillis(200));
        assertThat(h.results.isEmpty()).isTrue();
    }

    @Test
    void shouldFindACutOffSubmitByItsMarkerInsteadOfSubmittingAgain() {
        h.submit(item("d1"));
        // seal and submit, then stop at once: the submit reached the provider, its id is not in the store yet
        for (int i = 0; i < 400 && openai.submits.isEmpty(); i++) {
            h.driver.advanceWallClockTime(Duration.ofMillis(5));
        }
        assertThat(openai.submits).hasSize(1);
        h.close();

        h = harness();
        h.advance(Duration.ofMillis(1_500));
        assertThat(openai.finds).as("look-ups of the cut-off submit").isEqualTo(1);
        assertThat(openai.submits).as("submits after the restart").hasSize(1);
        openai.end("batch_0", List.of(ok("d1")));
        h.advance(Duration.ofMillis(100));
        assertThat(h.results.readValuesToList()).extracting(JobResult::getJobId).containsExactly("d1");
    }
}
