package dev.relay.ingress.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.Http;
import dev.relay.ingress.RelayIngress;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeBatches;
import dev.relay.testkit.provider.FakeBatches.Fate;
import dev.relay.testkit.provider.FakeProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch tier end to end, through the official OpenAI SDK, on the real broker, registry, processor and ingress: a
 * 24 h batch whose items run through OpenAI's batch API (a local server speaking its Files and Batches wire format)
 * that fails 10 % of them and lets 10 % expire; those fall back, item by item, to Anthropic's Message Batches (a local
 * server speaking its wire format). Every item ends exactly once; the batch object's counts and tiers, the output file
 * and the audit topic agree with what the fakes were asked, item by item.
 */
@Tag("it")
@Timeout(300)
class ProviderBatchTiersIT {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatchTiersIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code -Drelay.it.batchLines=10000} for the full size (run by hand; see docs/batches.md). */
    private static final int LINES = Integer.getInteger("relay.it.batchLines", 2000);

    private static final int FAILING_PERMILLE = 200;

    private static RelayConfig config(Topics topics, FakeProvider openai, FakeProvider anthropic) throws Exception {
        String json = """
                {"providers": {
                   "openai": {"type": "openai", "keys": [{"name": "oa-batch", "value": "sk-o"}],
                              "network_config": {"base_url": "%s", "max_retries": 1, "retry_backoff_initial": 10,
                                                 "retry_backoff_max": 50},
                              "concurrency_and_buffer_size": {"buffer_size": 1000000},
                              "batch": {"enabled": true, "max_items": 5000, "max_wait": "500ms", "poll_interval": "250ms"}},
                   "anthropic": {"type": "anthropic", "keys": [{"name": "an-batch", "value": "sk-a"}],
                                 "network_config": {"base_url": "%s"},
                                 "concurrency_and_buffer_size": {"buffer_size": 1000000},
                                 "batch": {"enabled": true, "max_items": 5000, "max_wait": "500ms", "poll_interval": "250ms"}}},
                 "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                           "application_id": "%sprocessor", "state_dir": "%s",
                           "commit_interval": "20ms", "poll_interval": "5ms"},
                 "circuit_breaker": {"enabled": false},
                 "metrics": {"port": 0},
                 "ingress": {"port": 0}}
                """.formatted(
                        openai.baseUrl(),
                        anthropic.baseUrl(),
                        STACK.bootstrapServers(),
                        STACK.registryUrl(),
                        topics.prefix(),
                        topics.prefix(),
                        Files.createTempDirectory("tiers-it").toString());
        return new ConfigLoader(n -> Optional.empty()).parse(json, "it");
    }

    private static String line(int i) {
        return "{\"custom_id\":\"req-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku-latest\"],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"summarise item " + i + "\"}]}}";
    }

    @Test
    void shouldServeEveryItemOnceFromTheOpenAiBatchOrItsAnthropicBatchFallback() throws Exception {
        Topics topics = new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(topics);
        try (FakeProvider openai = FakeProvider.start().recording(true);
                FakeProvider anthropic = FakeProvider.start()) {
            FakeBatches openaiBatches =
                    FakeBatches.on(openai).failing(FAILING_PERMILLE).completionDelay(Duration.ofMillis(500));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic).completionDelay(Duration.ofMillis(500));
            RelayConfig config = config(topics, openai, anthropic);
            try (RelayProcessor processor = RelayProcessor.start(config);
                    RelayIngress ingress = RelayIngress.start(config)) {
                assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
                OpenAIClient sdk = OpenAIOkHttpClient.builder()
                        .baseUrl("http://127.0.0.1:" + ingress.port() + "/v1")
                        .apiKey("unused")
                        .maxRetries(0)
                        .build();
                String input = IntStream.range(0, LINES)
                                .mapToObj(ProviderBatchTiersIT::line)
                                .collect(Collectors.joining("\n"))
                        + "\n";
                // a file on disk, as docs/batches.md shows it (the SDK then sends a filename)
                java.nio.file.Path requests = Files.createTempFile("requests", ".jsonl");
                Files.writeString(requests, input);
                long t0 = System.nanoTime();
                FileObject file = sdk.files()
                        .create(FileCreateParams.builder()
                                .file(requests)
                                .purpose(FilePurpose.BATCH)
                                .build());
                Batch created = sdk.batches()
                        .create(BatchCreateParams.builder()
                                .inputFileId(file.id())
                                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                                .build());
                long acceptedMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                await().atMost(Duration.ofSeconds(240))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() ->
                                sdk.batches().retrieve(created.id()).status().equals(Batch.Status.COMPLETED));
                long doneMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();

                JsonNode batch = new Http(ingress.port())
                        .get("/v1/batches/" + created.id(), Map.of())
                        .json();
                assertThat(batch.at("/request_counts/completed").asInt()).isEqualTo(LINES);
                assertThat(batch.at("/request_counts/failed").asInt()).isZero();
                assertThat(batch.at("/relay/tiers/batch").asInt()).isEqualTo(LINES);
                assertThat(batch.at("/relay/tiers/realtime").asInt()).isZero();

                List<JsonNode> out = new ArrayList<>();
                for (String l : new String(
                                sdk.files()
                                        .content(batch.path("output_file_id").asText())
                                        .body()
                                        .readAllBytes(),
                                StandardCharsets.UTF_8)
                        .split("\n")) {
                    if (!l.isBlank()) {
                        out.add(JSON.readTree(l));
                    }
                }
                assertThat(out).hasSize(LINES);
                assertThat(out.stream().map(l -> l.path("custom_id").asText()).distinct())
                        .hasSize(LINES);

                Map<String, List<AttemptRecord>> audit = attempts(topics, LINES);
                Map<String, Integer> openaiItems = openaiBatches.itemsSubmitted();
                Map<String, Integer> anthropicItems = anthropicBatches.itemsSubmitted();
                int byOpenAi = 0;
                int byAnthropic = 0;
                for (JsonNode l : out) {
                    String jobId = l.at("/response/request_id").asText();
                    Fate fate = FakeBatches.fateOf(jobId, FAILING_PERMILLE);
                    String provider =
                            l.at("/response/body/extra_fields/provider").asText();
                    assertThat(l.at("/response/body/choices/0/message/content").asText())
                            .isEqualTo("batch answer " + jobId);
                    List<AttemptRecord> attempts = audit.get(jobId);
                    assertThat(attempts).as("audit of %s", jobId).isNotNull();
                    assertThat(attempts).allSatisfy(a -> {
                        assertThat(a.getServiceTier()).isEqualTo("batch");
                        assertThat(a.getProviderBatchId()).isNotNull();
                    });
                    AttemptRecord served = attempts.get(attempts.size() - 1);
                    assertThat(served.getProvider()).isEqualTo(provider);
                    assertThat(served.getPromptTokens()).isEqualTo(5);
                    assertThat(openaiItems.get(jobId))
                            .as("OpenAI batch submissions of %s", jobId)
                            .isEqualTo(fate == Fate.ERROR ? 2 : 1);
                    if (fate == Fate.SUCCEED) {
                        byOpenAi++;
                        assertThat(provider).isEqualTo("openai");
                        assertThat(attempts).hasSize(1);
                        assertThat(anthropicItems).doesNotContainKey(jobId);
                    } else {
                        byAnthropic++;
                        assertThat(provider).as("%s (%s)", jobId, fate).isEqualTo("anthropic");
                        assertThat(served.getProviderBatchId()).startsWith("msgbatch_");
                        assertThat(attempts).hasSize(fate == Fate.ERROR ? 3 : 2);
                        assertThat(anthropicItems.get(jobId)).isEqualTo(1);
                    }
                }
                assertThat(audit).hasSize(LINES);
                assertThat(openai.requests().stream().filter(q -> q.path().endsWith("/chat/completions")))
                        .as("real-time calls")
                        .isEmpty();
                assertThat(anthropic.requests().stream().filter(q -> q.path().equals("/v1/messages")))
                        .isEmpty();
                log.info(
                        "batch tiers: {} lines accepted in {} ms, completed {} ms after the upload began; {} served"
                                + " by the OpenAI batch ({} OpenAI batches), {} by the Anthropic batch ({} message"
                                + " batches)",
                        LINES,
                        acceptedMs,
                        doneMs,
                        byOpenAi,
                        openaiBatches.submissions(),
                        byAnthropic,
                        anthropicBatches.submissions());
                assertThat(byOpenAi).isBetween(LINES * 75 / 100, LINES * 85 / 100);
            }
        }
    }

    /**
     * A batch cancelled through the SDK while its provider batches run: the processor cancels them at the provider
     * (every item belongs to this batch), the batch goes {@code cancelling} then {@code cancelled}, the items the
     * provider had done keep their results (output file), the others are in the error file as {@code batch_cancelled}
     * and did not fall back; counts, files and audit agree item by item.
     */
    @Test
    void shouldCancelTheProviderBatchesOfACancelledBatch() throws Exception {
        Topics topics = new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(topics);
        int lines = 200;
        try (FakeProvider openai = FakeProvider.start().recording(true);
                FakeProvider anthropic = FakeProvider.start()) {
            // the items are done one after the other over 10 s; a cancelled batch has ended 200 ms after the cancel
            FakeBatches openaiBatches = FakeBatches.on(openai).completionDelay(Duration.ofSeconds(10));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic);
            RelayConfig config = config(topics, openai, anthropic);
            try (RelayProcessor processor = RelayProcessor.start(config);
                    RelayIngress ingress = RelayIngress.start(config)) {
                assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
                OpenAIClient sdk = OpenAIOkHttpClient.builder()
                        .baseUrl("http://127.0.0.1:" + ingress.port() + "/v1")
                        .apiKey("unused")
                        .maxRetries(0)
                        .build();
                java.nio.file.Path requests = Files.createTempFile("requests", ".jsonl");
                Files.writeString(
                        requests,
                        IntStream.range(0, lines)
                                        .mapToObj(ProviderBatchTiersIT::line)
                                        .collect(Collectors.joining("\n"))
                                + "\n");
                FileObject file = sdk.files()
                        .create(FileCreateParams.builder()
                                .file(requests)
                                .purpose(FilePurpose.BATCH)
                                .build());
                Batch created = sdk.batches()
                        .create(BatchCreateParams.builder()
                                .inputFileId(file.id())
                                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                                .build());
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> openaiBatches.itemsSubmitted().size() == lines);
                Thread.sleep(1_500); // some items are done at the provider by now
                long t0 = System.nanoTime();
                Batch cancelling = sdk.batches().cancel(created.id());
                assertThat(cancelling.status()).isEqualTo(Batch.Status.CANCELLING);
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() ->
                                sdk.batches().retrieve(created.id()).status().equals(Batch.Status.CANCELLED));
                long cancelMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();

                JsonNode batch = new Http(ingress.port())
                        .get("/v1/batches/" + created.id(), Map.of())
                        .json();
                int completed = batch.at("/request_counts/completed").asInt();
                int failed = batch.at("/request_counts/failed").asInt();
                assertThat(completed + failed).isEqualTo(lines);
                assertThat(batch.at("/relay/cancelled").asInt()).isEqualTo(failed);
                assertThat(completed).as("items done before the cancel").isPositive();
                assertThat(failed).as("items cancelled").isPositive();

                List<JsonNode> out = fileLines(sdk, batch.path("output_file_id").asText());
                List<JsonNode> errors =
                        fileLines(sdk, batch.path("error_file_id").asText());
                assertThat(out).hasSize(completed);
                assertThat(errors).hasSize(failed).allSatisfy(l -> {
                    assertThat(l.path("response").isNull()).isTrue();
                    assertThat(l.at("/error/code").asText()).isEqualTo("batch_cancelled");
                });
                List<String> ids = new ArrayList<>();
                out.forEach(l -> ids.add(l.path("custom_id").asText()));
                errors.forEach(l -> ids.add(l.path("custom_id").asText()));
                assertThat(ids).doesNotHaveDuplicates().hasSize(lines);

                // every provider batch held only this batch's items: each was cancelled at the provider, once
                Map<String, List<AttemptRecord>> audit = attempts(topics, lines);
                assertThat(audit).hasSize(lines);
                java.util.Set<String> providerBatches = new java.util.HashSet<>();
                int cancelledInAudit = 0;
                for (List<AttemptRecord> attempts : audit.values()) {
                    assertThat(attempts).hasSize(1); // no retry, no fallback to Anthropic
                    AttemptRecord a = attempts.get(0);
                    assertThat(a.getServiceTier()).isEqualTo("batch");
                    providerBatches.add(a.getProviderBatchId());
                    if ("batch_cancelled".equals(a.getErrorCode())) {
                        cancelledInAudit++;
                    }
                }
                assertThat(cancelledInAudit).isEqualTo(failed);
                assertThat(openaiBatches.cancels()).doesNotHaveDuplicates();
                assertThat(new java.util.HashSet<>(openaiBatches.cancels())).isEqualTo(providerBatches);
                assertThat(openaiBatches.itemsSubmitted().values()).allMatch(n -> n == 1);
                assertThat(anthropicBatches.submissions()).isZero();
                assertThat(openai.requests().stream().filter(q -> q.path().endsWith("/chat/completions")))
                        .isEmpty();
                log.info(
                        "batch cancel: {} lines, {} provider batches cancelled, cancelled {} ms after the cancel;"
                                + " {} items kept their results, {} ended cancelled",
                        lines,
                        providerBatches.size(),
                        cancelMs,
                        completed,
                        failed);
            }
        }
    }

    private static List<JsonNode> fileLines(OpenAIClient sdk, String fileId) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String l :
                new String(sdk.files().content(fileId).body().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (!l.isBlank()) {
                lines.add(JSON.readTree(l));
            }
        }
        return lines;
    }

    /** The audit topic, read_committed, by job id: until every job has its last attempt plus a quiet second. */
    private static Map<String, List<AttemptRecord>> attempts(Topics topics, int jobs) {
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(STACK.registryUrl()));
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "audit-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, List<AttemptRecord>> byJob = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(
                p, new StringDeserializer(), serdes.attempt().deserializer())) {
            consumer.subscribe(List.of(topics.attempts()));
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(until, quietUntil)) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    byJob.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                }
                if (byJob.size() >= jobs && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                }
            }
        }
        return byJob;
    }
}
