package dev.relay.ingress.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
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
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.StackConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * OpenAI's Files and Batch API on the real broker, registry and processor, through the official SDK: a file uploaded
 * on one ingress instance is used by a batch created on another, the items run through their chains (the providers
 * are {@link FallbackProviders}: openai answers 429 unless the prompt says "primary-ok"; anthropic answers 200 unless
 * it says "all-fail"), the batch's webhook (to a WireMock receiver) fires once when it ends, and a fresh instance
 * serves the file, the batch and its output after the first two are gone.
 */
class BatchKafkaIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static FallbackProviders providers;
    private static WireMockServer receiver;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void providers() {
        providers = FallbackProviders.start();
        receiver = new WireMockServer(wireMockConfig().dynamicPort());
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/batch-hook")).willReturn(aResponse().withStatus(204)));
    }

    @AfterAll
    static void stopProviders() {
        providers.close();
        receiver.stop();
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
                .section(
                        "webhooks", "{\"secret\": \"whsec_c2VjcmV0LWZvci10ZXN0cw==\", \"allow_private_targets\": true}")
                .json();
        return new ConfigLoader(n -> Optional.empty()).parse(json, "it");
    }

    private RelayIngress ingress(Topics topics) throws IOException {
        RelayIngress i = RelayIngress.start(config(topics));
        open.add(i);
        return i;
    }

    private static OpenAIClient sdk(RelayIngress i) {
        return OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + i.port() + "/v1")
                .apiKey("unused")
                .maxRetries(0)
                .build();
    }

    private static String line(int i) {
        String prompt = i % 4 == 0 ? "all-fail" : i % 4 == 1 ? "primary-ok" : "fallback";
        return "{\"custom_id\":\"req-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku\"],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + " " + i + "\"}]}}";
    }

    private static List<JsonNode> jsonl(String body) {
        return body.lines()
                .map(l -> {
                    try {
                        return JSON.readTree(l);
                    } catch (IOException e) {
                        throw new AssertionError(l, e);
                    }
                })
                .toList();
    }

    @Test
    void shouldRunAnSdkBatchAcrossInstancesTellTheWebhookOnceAndServeItAllAfterARestart() throws Exception {
        Topics topics = new Topics("b" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(topics);
        RelayProcessor processor = RelayProcessor.start(config(topics));
        open.add(processor);
        assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
        RelayIngress a = ingress(topics);
        RelayIngress b = ingress(topics);
        String input = IntStream.range(0, 200).mapToObj(BatchKafkaIT::line).collect(Collectors.joining("\n")) + "\n";

        FileObject file = sdk(a).files()
                .create(FileCreateParams.builder()
                        .file(input.getBytes(StandardCharsets.UTF_8))
                        .purpose(FilePurpose.BATCH)
                        .build());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> new Http(b.port())
                                .get("/v1/files/" + file.id(), Map.of())
                                .status()
                        == 200);
        Batch created = sdk(b).batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(file.id())
                        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .metadata(BatchCreateParams.Metadata.builder()
                                .putAdditionalProperty(
                                        "webhook_url", JsonValue.from(receiver.baseUrl() + "/batch-hook"))
                                .build())
                        .build());

        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> sdk(a).batches().retrieve(created.id()).status().equals(Batch.Status.COMPLETED));
        Batch done = sdk(a).batches().retrieve(created.id());
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(150);
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(50);
        String output = new String(
                sdk(b).files().content(done.outputFileId().orElseThrow()).body().readAllBytes(),
                StandardCharsets.UTF_8);
        List<JsonNode> out = jsonl(output);
        assertThat(out).hasSize(150);
        for (JsonNode l : out) {
            int i = Integer.parseInt(l.get("custom_id").asText().substring(4));
            assertThat(l.at("/response/body/choices/0/message/content").asText())
                    .isEqualTo(i % 4 == 1 ? "hello from openai" : "hello from anthropic");
        }
        List<JsonNode> errors = jsonl(new String(
                sdk(a).files().content(done.errorFileId().orElseThrow()).body().readAllBytes(),
                StandardCharsets.UTF_8));
        assertThat(errors)
                .hasSize(50)
                .allSatisfy(
                        l -> assertThat(l.at("/response/status_code").asInt()).isEqualTo(429));

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !receiver.findAll(postRequestedFor(urlEqualTo("/batch-hook")))
                        .isEmpty());
        LoggedRequest hook =
                receiver.findAll(postRequestedFor(urlEqualTo("/batch-hook"))).get(0);
        JsonNode payload = JSON.readTree(hook.getBodyAsString());
        assertThat(payload.get("type").asText()).isEqualTo("batch.completed");
        assertThat(payload.at("/data/id").asText()).isEqualTo(created.id());
        assertThat(payload.at("/data/request_counts/completed").asInt()).isEqualTo(150);
        assertThat(hook.getHeader("webhook-id")).isEqualTo("whk_" + created.id());
        assertThat(hook.getHeader("webhook-signature")).startsWith("v1,");

        a.close();
        b.close();
        RelayIngress c = ingress(topics);
        Thread.sleep(1500); // a second scan of the batch webhooks on the new instance
        assertThat(receiver.findAll(postRequestedFor(urlEqualTo("/batch-hook"))))
                .hasSize(1);
        assertThat(new String(sdk(c).files().content(file.id()).body().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(input);
        Batch again = sdk(c).batches().retrieve(created.id());
        assertThat(again.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(again.completedAt()).isEqualTo(done.completedAt());
        assertThat(new String(
                        sdk(c).files()
                                .content(done.outputFileId().orElseThrow())
                                .body()
                                .readAllBytes(),
                        StandardCharsets.UTF_8))
                .isEqualTo(output);
        assertThat(sdk(c).batches().list().data()).extracting(Batch::id).containsExactly(created.id());
        JsonNode viaHttp =
                new Http(c.port()).get("/v1/batches/" + created.id(), Map.of()).json();
        assertThat(viaHttp.at("/webhook/state").asText()).isEqualTo("delivered");

        assertThat(sdk(c).files().delete(file.id()).deleted()).isTrue();
        assertThat(new Http(c.port()).get("/v1/files/" + file.id(), Map.of()).status())
                .isEqualTo(404);
    }
}
