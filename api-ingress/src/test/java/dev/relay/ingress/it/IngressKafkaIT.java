package dev.relay.ingress.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.Http;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.TestResults;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Job;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.StackConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ingress on the real broker, registry and processor ({@link RelayProcessor}), with real local HTTP providers
 * ({@link FallbackProviders}, the test kit's fake providers in OpenAI format): openai answers 429 unless the prompt
 * says "primary-ok"; anthropic answers 200 unless the prompt says "all-fail" (then 503). One processor on one set of
 * topics serves the class (each test's jobs end before it returns); the tests that count what the topics hold and
 * need no processor run on topics of their own.
 */
class IngressKafkaIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final String SECRET = "whsec_c2VjcmV0LWZvci10ZXN0cw==";

    private static FallbackProviders providers;
    private static WireMockServer receiver;
    private static Topics sharedTopics;
    private static RelayConfig sharedConfig;
    private static RelayProcessor processor;
    private final List<AutoCloseable> open = new ArrayList<>();
    private Topics topics;
    private RelayConfig config;

    @BeforeAll
    static void startProcessor() throws InterruptedException {
        providers = FallbackProviders.start();
        receiver = new WireMockServer(wireMockConfig().dynamicPort());
        receiver.start();
        sharedTopics = newTopics();
        sharedConfig = config(sharedTopics);
        processor = RelayProcessor.start(sharedConfig);
        assertThat(processor.awaitRunning(Duration.ofSeconds(60)))
                .as("processor RUNNING")
                .isTrue();
    }

    @AfterAll
    static void stopProcessor() {
        if (processor != null) {
            processor.close();
        }
        providers.close();
        receiver.stop();
    }

    @BeforeEach
    void sharedTopics() {
        topics = sharedTopics;
        config = sharedConfig;
        receiver.resetAll();
    }

    /** Topics of the test's own (no processor reads them), for tests that count what the topics hold. */
    private void ownTopics() {
        topics = newTopics();
        config = config(topics);
    }

    private static Topics newTopics() {
        Topics t = new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(t);
        return t;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private static RelayConfig config(Topics topics) {
        String json = providers
                .addTo(StackConfig.on(STACK, topics))
                .section("ingress", "{\"port\": 0, \"sync_timeout\": \"30s\"}")
                .section("webhooks", """
                        {"secret": "env.WH", "allow_private_targets": true, "backoff_initial": "100ms",
                         "backoff_max": "300ms", "retry_for": "10m"}""")
                .json();
        return new ConfigLoader(n -> Optional.ofNullable(Map.of("WH", SECRET).get(n))).parse(json, "it");
    }

    private RelayIngress ingress() {
        RelayIngress i = RelayIngress.start(config);
        open.add(i);
        return i;
    }

    private static String chat(String prompt) {
        return "{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku\"],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    @Test
    void shouldAnswerFromTheFallbackWhenThePrimaryIsRateLimitedAndThePrimarysStatusWhenAllFail() {
        Http http = new Http(ingress().port());

        Http.Response r = http.postJson("/v1/chat/completions", chat("hello"), Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().at("/extra_fields/provider").asText()).isEqualTo("anthropic");
        assertThat(r.json().at("/extra_fields/fallback_index").asInt()).isEqualTo(1);
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo("hello from anthropic");
        assertThat(r.json().at("/extra_fields/attempts/0/http_status").asInt()).isEqualTo(429);

        Http.Response failed = http.postJson("/v1/chat/completions", chat("all-fail"), Map.of());
        assertThat(failed.status()).as(failed.body()).isEqualTo(429);
        assertThat(failed.json().at("/extra_fields/provider").asText()).isEqualTo("openai");
        assertThat(failed.json().at("/extra_fields/attempts").size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void shouldPollAnAsyncJobToItsResultAndStillServeItAfterARestart() {
        RelayIngress first = ingress();
        Http http = new Http(first.port());
        String id = http.postJson("/v1/jobs", chat("primary-ok"), Map.of())
                .json()
                .get("id")
                .asText();

        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/v1/jobs/" + id, Map.of())
                        .json()
                        .get("status")
                        .asText()
                        .equals("succeeded"));
        JsonNode job = http.get("/v1/jobs/" + id, Map.of()).json();
        assertThat(job.at("/response/choices/0/message/content").asText()).isEqualTo("hello from openai");
        assertThat(job.at("/attempts")).hasSize(1);

        first.close();
        Http again = new Http(ingress().port());
        JsonNode afterRestart = again.get("/v1/jobs/" + id, Map.of()).json();
        assertThat(afterRestart.get("status").asText()).isEqualTo("succeeded");
        assertThat(afterRestart.at("/extra_fields/provider").asText()).isEqualTo("openai");
    }

    @Test
    void shouldKeepItsResultsAcrossARestartAndReadOnlyWhatIsNew() throws Exception {
        ownTopics();
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(STACK.registryUrl()));
        produceResults(serdes, "kept-", 20);
        RelayIngress first = ingress();
        Http http = new Http(first.port());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/v1/jobs/kept-19", Map.of()).status() == 200);
        assertThat(catchUp(http)).isEqualTo(20);
        first.close();

        produceResults(serdes, "new-", 5);
        Http again = new Http(ingress().port());
        assertThat(catchUp(again))
                .as("only the results written while it was down")
                .isEqualTo(5);
        assertThat(again.get("/v1/jobs/kept-0", Map.of()).json().get("status").asText())
                .isEqualTo("succeeded");
        assertThat(again.get("/v1/jobs/new-4", Map.of()).json().get("status").asText())
                .isEqualTo("succeeded");
    }

    private void produceResults(RelaySerdes serdes, String prefix, int n) {
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers()),
                new StringSerializer(),
                serdes.result().serializer())) {
            for (int i = 0; i < n; i++) {
                Job job = Job.newBuilder()
                        .setJobId(prefix + i)
                        .setSubmittedAt(Instant.now())
                        .setRequest(ChatRequest.newBuilder()
                                .setMessages(List.of(Message.newBuilder()
                                        .setRole("user")
                                        .setContent(List.of(ContentPart.newBuilder()
                                                .setType("text")
                                                .setText("hi")
                                                .build()))
                                        .build()))
                                .build())
                        .setChain(List.of(Target.newBuilder()
                                .setProvider("openai")
                                .setModel("m")
                                .build()))
                        .build();
                producer.send(
                        new ProducerRecord<>(topics.results(), job.getJobId(), TestResults.succeededAt(job, 0, 429)));
            }
            producer.flush();
        }
    }

    /** The ingress's relay_ingress_results_catch_up_records gauge. */
    private static long catchUp(Http http) {
        return http.get("/metrics", Map.of())
                .body()
                .lines()
                .filter(l -> l.startsWith("relay_ingress_results_catch_up_records"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void shouldRunABatchOf1000MixedLinesToOneOutputLinePerCustomId() {
        Http http = new Http(ingress().port());
        String jsonl = IntStream.range(0, 1000)
                .mapToObj(i -> "{\"custom_id\":\"req-" + i
                        + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                        + chat(i % 4 == 0 ? "all-fail" : i % 4 == 1 ? "primary-ok" : "fallback") + "}")
                .collect(Collectors.joining("\n"));

        Http.Response created = http.post(
                "/v1/batches", jsonl.getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/jsonl"));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().get("id").asText();

        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> http.get("/v1/batches/" + id, Map.of())
                        .json()
                        .get("status")
                        .asText()
                        .equals("completed"));
        JsonNode summary = http.get("/v1/batches/" + id, Map.of()).json();
        assertThat(summary.at("/request_counts/total").asInt()).isEqualTo(1000);
        assertThat(summary.at("/request_counts/failed").asInt()).isEqualTo(250);
        List<JsonNode> lines = http.get("/v1/batches/" + id + "/output", Map.of())
                .body()
                .lines()
                .map(l -> new Http.Response(200, l, null).json())
                .toList();
        assertThat(lines).hasSize(1000);
        Set<String> ids = new HashSet<>();
        for (JsonNode line : lines) {
            int i = Integer.parseInt(line.get("custom_id").asText().substring(4));
            ids.add(line.get("custom_id").asText());
            int expected = i % 4 == 0 ? 429 : 200;
            assertThat(line.at("/response/status_code").asInt())
                    .as(line.toString())
                    .isEqualTo(expected);
            if (i % 4 == 2) {
                assertThat(line.at("/response/body/extra_fields/provider").asText())
                        .isEqualTo("anthropic");
            }
        }
        assertThat(ids).hasSize(1000);
    }

    @Test
    void shouldDeliverASignedWebhookAndRetryAfterA500() throws Exception {
        receiver.stubFor(post(urlEqualTo("/hook"))
                .inScenario("w")
                .whenScenarioStateIs("Started")
                .willReturn(aResponse().withStatus(500))
                .willSetStateTo("up"));
        receiver.stubFor(post(urlEqualTo("/hook"))
                .inScenario("w")
                .whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(200)));
        Http http = new Http(ingress().port());
        String body = chat("primary-ok")
                .replace("{\"model\"", "{\"callback_url\":\"" + receiver.baseUrl() + "/hook\",\"model\"");
        String id = http.postJson("/v1/jobs", body, Map.of()).json().get("id").asText();

        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/v1/jobs/" + id, Map.of())
                        .json()
                        .at("/webhook/state")
                        .asText()
                        .equals("delivered"));
        List<LoggedRequest> got = receiver.findAll(postRequestedFor(urlEqualTo("/hook")));
        assertThat(got).hasSize(2);
        LoggedRequest last = got.get(1);
        assertThat(last.getHeader("webhook-id")).isEqualTo(got.get(0).getHeader("webhook-id"));
        assertThat(last.getHeader("webhook-signature"))
                .isEqualTo("v1,"
                        + hmac(
                                last.getHeader("webhook-id"),
                                last.getHeader("webhook-timestamp"),
                                last.getBodyAsString()));
        JsonNode payload = new Http.Response(200, last.getBodyAsString(), null).json();
        assertThat(payload.get("type").asText()).isEqualTo("job.succeeded");
        assertThat(payload.at("/data/id").asText()).isEqualTo(id);
        assertThat(http.get("/v1/jobs/" + id, Map.of()).json().at("/webhook/attempts"))
                .hasSize(2);
    }

    @Test
    void shouldStillDeliverAPendingWebhookAfterTheIngressRestarts() {
        receiver.stubFor(post(urlEqualTo("/late")).willReturn(aResponse().withStatus(500)));
        RelayIngress first = ingress();
        Http http = new Http(first.port());
        String body = chat("primary-ok")
                .replace("{\"model\"", "{\"callback_url\":\"" + receiver.baseUrl() + "/late\",\"model\"");
        String id = http.postJson("/v1/jobs", body, Map.of()).json().get("id").asText();
        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        !receiver.findAll(postRequestedFor(urlEqualTo("/late"))).isEmpty());

        first.close();
        receiver.resetAll();
        receiver.stubFor(post(urlEqualTo("/late")).willReturn(aResponse().withStatus(204)));
        Http second = new Http(ingress().port());

        await().atMost(Duration.ofSeconds(60))
                .until(() -> second.get("/v1/jobs/" + id, Map.of())
                        .json()
                        .at("/webhook/state")
                        .asText()
                        .equals("delivered"));
        assertThat(receiver.findAll(postRequestedFor(urlEqualTo("/late"))))
                .isNotEmpty()
                .allMatch(r -> r.getHeader("webhook-id").contains(id));
    }

    @Test
    void shouldKeepIdempotencyAcrossRestartsAndInstances() {
        long jobsBefore = countRecords(topics.jobs());
        RelayIngress a = ingress();
        Map<String, String> key = Map.of("Idempotency-Key", "invoice-7");
        Http.Response first = new Http(a.port()).postJson("/v1/chat/completions", chat("primary-ok"), key);
        String id = first.json().at("/extra_fields/job_id").asText();
        a.close();

        RelayIngress b = ingress();
        RelayIngress c = ingress();
        Http.Response again = new Http(b.port()).postJson("/v1/chat/completions", chat("primary-ok"), key);
        Http.Response async = new Http(c.port()).postJson("/v1/jobs", chat("primary-ok"), key);

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().at("/extra_fields/job_id").asText()).isEqualTo(id);
        assertThat(async.json().get("id").asText()).isEqualTo(id);
        // the restarted instance read the first request back from relay.jobs: another prompt under the key is refused
        Http.Response different = new Http(b.port()).postJson("/v1/jobs", chat("fallback"), key);
        assertThat(different.status()).as(different.body()).isEqualTo(422);
        assertThat(different.json().at("/error/code").asText()).isEqualTo("idempotency_key_reused");
        assertThat(countRecords(topics.jobs()) - jobsBefore).isEqualTo(1);
    }

    @Test
    void shouldCompleteEachInstancesOwnSyncCallsWhenTwoRunSideBySide() throws Exception {
        Http a = new Http(ingress().port());
        Http b = new Http(ingress().port());
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<Http.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Http target = i % 2 == 0 ? a : b;
            String prompt = i % 2 == 0 ? "primary-ok" : "fallback";
            calls.add(pool.submit((Callable<Http.Response>)
                    () -> target.postJson("/v1/chat/completions", chat(prompt), Map.of("x-relay-timeout", "20s"))));
        }
        Set<String> jobIds = new HashSet<>();
        for (int i = 0; i < calls.size(); i++) {
            Http.Response r = calls.get(i).get();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().at("/extra_fields/provider").asText()).isEqualTo(i % 2 == 0 ? "openai" : "anthropic");
            jobIds.add(r.json().at("/extra_fields/job_id").asText());
        }
        pool.shutdown();
        assertThat(jobIds).hasSize(40);
    }

    @Test
    void shouldPublishNothingForBadInputOnTheRealBroker() {
        ownTopics();
        Http http = new Http(ingress().port());
        assertThat(http.postJson("/v1/chat/completions", "{\"model\":\"nope/x\",\"messages\":[]}", Map.of())
                        .status())
                .isEqualTo(400);
        assertThat(http.postJson("/v1/chat/completions", chat("x").replace("}]}", "}],\"stream\":\"yes\"}"), Map.of())
                        .status())
                .isEqualTo(400);
        assertThat(http.postJson("/v1/jobs", "{broken", Map.of()).status()).isEqualTo(400);
        assertThat(http.post(
                                "/v1/batches",
                                "{\"custom_id\":\"a\"}".getBytes(),
                                Map.of("Content-Type", "application/jsonl"))
                        .status())
                .isEqualTo(400);
        // metadata: one check, OpenAI's limits and codes, on both doors
        String seventeen =
                IntStream.range(0, 17).mapToObj(i -> "\"k" + i + "\":\"v\"").collect(Collectors.joining(",", "{", "}"));
        Http.Response jobs =
                http.postJson("/v1/jobs", chat("x").replace("}]}", "}],\"metadata\":" + seventeen + "}"), Map.of());
        assertThat(jobs.status()).isEqualTo(400);
        assertThat(jobs.json().at("/error/code").asText()).isEqualTo("object_above_max_properties");
        Http.Response batch = http.postJson(
                "/v1/batches",
                "{\"input_file_id\":\"file-x\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\","
                        + "\"metadata\":{\"team\":\"" + "v".repeat(513) + "\"}}",
                Map.of());
        assertThat(batch.status()).isEqualTo(400);
        assertThat(batch.json().at("/error/code").asText()).isEqualTo("string_above_max_length");
        assertThat(batch.json().at("/error/param").asText()).isEqualTo("metadata.team");
        assertThat(http.get("/health/ready", Map.of()).status()).isEqualTo(200);
        assertThat(countRecords(topics.jobs())).isZero();
    }

    private long countRecords(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of("bootstrap.servers", STACK.bootstrapServers(), "isolation.level", "read_committed"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return c.endOffsets(tps).values().stream()
                            .mapToLong(Long::longValue)
                            .sum()
                    - c.beginningOffsets(tps).values().stream()
                            .mapToLong(Long::longValue)
                            .sum();
        }
    }

    private static String hmac(String id, String ts, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
        return Base64.getEncoder()
                .encodeToString(mac.doFinal((id + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8)));
    }
}
