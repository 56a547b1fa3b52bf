package dev.relay.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Decision;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.StackConfig;
import dev.relay.testkit.provider.FakeBatches;
import dev.relay.testkit.provider.FakeProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Relay batch cancelled while its provider batches run, on the real broker and registry: the cancel reaches the
 * processor as the ingress writes it (the batch's catalog record on the batches topic, with {@code cancelling_at}).
 * The provider batches whose items all belong to the cancelled batch are cancelled at the provider (OpenAI's and
 * Anthropic's cancel endpoints); the one it shares with a live Relay batch runs to its end. Items the provider had
 * done keep their results; the others end once, cancelled, without a retry or a fallback; the results, the audit and
 * the failed topic agree item by item.
 */
@Tag("it")
@Timeout(180)
class ProviderBatchCancelIT {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatchCancelIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final String CANCELLED = "batch_cancelme";
    private static final String LIVE = "batch_live";

    @TempDir
    Path stateDir;

    @Test
    void shouldCancelTheProviderBatchesOfACancelledBatchAndEndItsUnfinishedItemsOnce() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        try (FakeProvider openai = FakeProvider.start();
                FakeProvider anthropic = FakeProvider.start()) {
            // items are done one after the other over 10 s; a cancelled batch has ended 200 ms after the cancel
            FakeBatches openaiBatches = FakeBatches.on(openai).completionDelay(Duration.ofSeconds(10));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic).completionDelay(Duration.ofSeconds(10));
            var config = RelayIt.config(StackConfig.on(STACK, topics)
                    .stateDir(stateDir)
                    .openAiAndAnthropicBatches(openai.baseUrl(), anthropic.baseUrl())
                    .json());
            try (RelayProcessor processor = RelayProcessor.start(config)) {
                assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
                List<Job> jobs = new ArrayList<>();
                jobs.addAll(RelayIt.batchItems("cx-a-", 40, CANCELLED, List.of("openai/gpt-4o-mini")));
                jobs.addAll(RelayIt.batchItems("cx-c-", 40, CANCELLED, List.of("anthropic/claude-3-5-haiku-latest")));
                jobs.addAll(RelayIt.batchItems("cx-m-", 20, CANCELLED, List.of("openai/gpt-4o")));
                jobs.addAll(RelayIt.batchItems("lv-m-", 20, LIVE, List.of("openai/gpt-4o")));
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (openaiBatches.itemsSubmitted().size()
                                        + anthropicBatches.itemsSubmitted().size()
                                < jobs.size()
                        && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertThat(openaiBatches.itemsSubmitted().size()
                                + anthropicBatches.itemsSubmitted().size())
                        .isEqualTo(jobs.size());
                Thread.sleep(1_500); // some items are done at the provider by now
                cancelAsTheIngressDoes(topics, CANCELLED);

                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, jobs.size(), Duration.ofSeconds(60));
                List<AttemptRecord> audit = RelayIt.readUntil(
                        STACK.bootstrapServers(),
                        topics.attempts(),
                        serdes.attempt().deserializer(),
                        jobs.size(),
                        Duration.ofSeconds(30));

                Map<String, Long> perJob =
                        results.stream().collect(Collectors.groupingBy(JobResult::getJobId, Collectors.counting()));
                assertThat(perJob).hasSize(jobs.size());
                assertThat(perJob.values()).allMatch(n -> n == 1);
                Map<String, JobResult> byId =
                        results.stream().collect(Collectors.toMap(JobResult::getJobId, Function.identity()));
                Map<String, List<AttemptRecord>> auditById = audit.stream()
                        .collect(Collectors.groupingBy(a -> a.getJobId().toString()));

                // the provider batches (one hop task groups its own items): those whose items all belong to the
                // cancelled batch were cancelled at the provider, those shared with the live batch were not
                Map<String, Set<String>> batchesOf = new java.util.HashMap<>();
                for (JobResult r : results) {
                    batchesOf
                            .computeIfAbsent(r.getAttempts().get(0).getProviderBatchId(), k -> new HashSet<>())
                            .add(r.getJobId().startsWith("lv-") ? LIVE : CANCELLED);
                }
                Set<String> onlyCancelled = new HashSet<>();
                Set<String> shared = new HashSet<>();
                batchesOf.forEach((pb, of) -> (of.contains(LIVE) ? shared : onlyCancelled).add(pb));
                assertThat(shared).isNotEmpty();
                assertThat(onlyCancelled).hasSizeGreaterThanOrEqualTo(2);
                Set<String> cancelCalls = new HashSet<>(openaiBatches.cancels());
                cancelCalls.addAll(anthropicBatches.cancels());
                assertThat(cancelCalls).isEqualTo(onlyCancelled);
                assertThat(openaiBatches.cancels().size()
                                + anthropicBatches.cancels().size())
                        .as("one cancel call per provider batch")
                        .isEqualTo(onlyCancelled.size());
                assertThat(anthropicBatches.cancels()).isNotEmpty().allMatch(id -> id.startsWith("msgbatch_"));
                assertThat(openaiBatches.cancels()).isNotEmpty().allMatch(id -> id.startsWith("batch_"));
                assertThat(openai.requests().stream().filter(q -> q.path().endsWith("/cancel")))
                        .allMatch(q -> q.method().equals("POST") && q.path().matches("/v1/batches/batch_[^/]+/cancel"));
                assertThat(anthropic.requests().stream().filter(q -> q.path().endsWith("/cancel")))
                        .allMatch(q -> q.method().equals("POST")
                                && q.path().matches("/v1/messages/batches/msgbatch_[^/]+/cancel"));

                int done = 0;
                int cancelled = 0;
                int shareds = 0;
                for (Job j : jobs) {
                    String id = j.getJobId();
                    JobResult r = byId.get(id);
                    List<AttemptRecord> attempts = auditById.get(id);
                    // one attempt each, in the batch tier, and no item was submitted twice (no retry, no fallback)
                    assertThat(r.getAttempts()).as("attempts of %s", id).hasSize(1);
                    assertThat(attempts).as("audit of %s", id).hasSize(1);
                    assertThat(attempts.get(0).getServiceTier()).isEqualTo("batch");
                    Map<String, Integer> submitted =
                            id.startsWith("cx-c-") ? anthropicBatches.itemsSubmitted() : openaiBatches.itemsSubmitted();
                    assertThat(submitted.get(id)).as("submissions of %s", id).isEqualTo(1);
                    if (shared.contains(r.getAttempts().get(0).getProviderBatchId())) {
                        assertThat(r.getStatus()).as("%s in a shared batch", id).isEqualTo(JobStatus.SUCCEEDED);
                        shareds++;
                    } else if (r.getStatus() == JobStatus.SUCCEEDED) {
                        done++; // done at the provider before the cancel: its result is kept
                        assertThat(attempts.get(0).getDecision()).isEqualTo(Decision.RETURNED);
                    } else {
                        cancelled++;
                        assertThat(r.getError().getCode()).isEqualTo("batch_cancelled");
                        assertThat(r.getError().getOutcome()).isEqualTo(OutcomeClass.CANCELLED);
                        assertThat(attempts.get(0).getErrorCode()).isEqualTo("batch_cancelled");
                        assertThat(attempts.get(0).getDecision()).isEqualTo(Decision.GIVE_UP);
                    }
                }
                assertThat(done + cancelled + shareds).isEqualTo(jobs.size());
                assertThat(done).as("items done before the cancel").isPositive();
                assertThat(cancelled).as("items cancelled").isPositive();

                List<FailedJob> failed = RelayIt.readUntil(
                        STACK.bootstrapServers(),
                        topics.failed(),
                        serdes.failed().deserializer(),
                        cancelled,
                        Duration.ofSeconds(30));
                assertThat(failed)
                        .hasSize(cancelled)
                        .allMatch(f -> f.getTerminalReason().equals("BATCH_CANCELLED"));
                log.info(
                        "cancel: {} provider batches cancelled; {} items done before the cancel kept their results,"
                                + " {} ended cancelled; {} items of {} shared provider batches succeeded",
                        onlyCancelled.size(),
                        done,
                        cancelled,
                        shareds,
                        shared.size());
            }
        }
    }

    @Test
    void shouldAskAgainWhenTheProviderAnswersTheFirstCancelWithA500() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        var polling = (ch.qos.logback.classic.Logger)
                LoggerFactory.getLogger("dev.relay.processor.topology.ProviderBatchPolling");
        polling.addAppender(logs);
        try (FakeProvider openai = FakeProvider.start();
                FakeProvider anthropic = FakeProvider.start()) {
            FakeBatches openaiBatches = FakeBatches.on(openai)
                    .completionDelay(Duration.ofSeconds(10))
                    .failCancels(1);
            FakeBatches.on(anthropic);
            var config = RelayIt.config(StackConfig.on(STACK, topics)
                    .stateDir(stateDir)
                    .openAiAndAnthropicBatches(openai.baseUrl(), anthropic.baseUrl())
                    .json());
            try (RelayProcessor processor = RelayProcessor.start(config)) {
                assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
                List<Job> jobs = RelayIt.batchItems("rc-", 20, CANCELLED, List.of("openai/gpt-4o-mini"));
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (openaiBatches.itemsSubmitted().size() < jobs.size() && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                cancelAsTheIngressDoes(topics, CANCELLED);

                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, jobs.size(), Duration.ofSeconds(30));
                assertThat(results.stream().collect(Collectors.groupingBy(JobResult::getJobId, Collectors.counting())))
                        .hasSize(jobs.size())
                        .allSatisfy(
                                (id, n) -> assertThat(n).as("results of %s", id).isEqualTo(1));
                // the first cancel call was answered 500 and asked again when the batch was next due; that one went
                // through, so the items the provider had not done end cancelled, well before the batch's 10 s
                Set<String> providerBatches = new HashSet<>(openaiBatches.cancels());
                assertThat(openaiBatches.cancels()).hasSize(providerBatches.size() + 1);
                assertThat(results)
                        .filteredOn(r -> r.getStatus() != JobStatus.SUCCEEDED)
                        .isNotEmpty()
                        .allSatisfy(r -> assertThat(r.getError().getCode()).isEqualTo("batch_cancelled"));
                assertThat(results).allSatisfy(r -> assertThat(r.getAttempts()).hasSize(1));
                assertThat(logs.list)
                        .filteredOn(e -> e.getFormattedMessage().contains("cancelling provider batch"))
                        .singleElement()
                        .satisfies(e -> assertThat(e.getFormattedMessage())
                                .contains("failed (TRANSIENT, call 1 of 5); asking again in 200 ms")
                                .doesNotContain("sk-openai"));
            }
        } finally {
            polling.detachAppender(logs);
        }
    }

    /** What {@code POST /v1/batches/{id}/cancel} writes: the batch's catalog record with {@code cancelling_at}. */
    private static void cancelAsTheIngressDoes(Topics topics, String batchId) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            String record = """
                    {"id": "%s", "object": "batch", "endpoint": "/v1/chat/completions", "completion_window": "24h",
                     "created_at": %d, "cancelling_at": %d, "relay": {"tenant": null, "total": 100}}
                    """.formatted(
                    batchId, Instant.now().getEpochSecond() - 5, Instant.now().getEpochSecond());
            producer.send(new ProducerRecord<>(topics.batches(), batchId, record))
                    .get();
        }
    }
}
