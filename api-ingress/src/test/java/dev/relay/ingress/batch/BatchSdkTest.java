package dev.relay.ingress.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.relay.ingress.InMemoryBackend;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.TestConfigs;
import dev.relay.ingress.TestResults;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK runs a whole Batch API flow against Relay with only its base URL changed: upload, create,
 * poll, download the output and error files; list, cancel and retrieve files. The processor is the in-memory seam
 * (a prompt "fail" fails on every target, anything else is answered by the first fallback); the Kafka path is
 * {@code BatchKafkaIT}.
 */
class BatchSdkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static InMemoryBackend backend;
    private static RelayIngress ingress;

    @BeforeAll
    static void start() {
        backend = new InMemoryBackend()
                .answering(job -> job.getRequest()
                                .getMessages()
                                .get(0)
                                .getContent()
                                .get(0)
                                .getText()
                                .equals("fail")
                        ? TestResults.failedAll(job, 429)
                        : TestResults.succeededAt(job, 1, 429));
        ingress = RelayIngress.start(
                TestConfigs.config("", ", \"api_keys\": [\"env.RELAY_KEY\"]", ""), backend, Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    private static OpenAIClient client() {
        return OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + ingress.port() + "/v1")
                .apiKey(TestConfigs.API_KEY)
                .maxRetries(0)
                .build();
    }

    static String line(String customId, String prompt) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku\"],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}}";
    }

    private static List<JsonNode> lines(HttpResponse response) throws IOException {
        try (response;
                InputStream in = response.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(l -> {
                        try {
                            return JSON.readTree(l);
                        } catch (IOException e) {
                            throw new AssertionError(l, e);
                        }
                    })
                    .toList();
        }
    }

    @Test
    void shouldRunTheBatchApiFlowThroughTheSdk() throws IOException {
        OpenAIClient client = client();
        String jsonl = IntStream.range(0, 20)
                        .mapToObj(i -> line("req-" + i, i % 5 == 0 ? "fail" : "hello " + i))
                        .collect(Collectors.joining("\n"))
                + "\n";

        FileObject file = client.files()
                .create(FileCreateParams.builder()
                        .file(jsonl.getBytes(StandardCharsets.UTF_8))
                        .purpose(FilePurpose.BATCH)
                        .build());
        assertThat(file.id()).startsWith("file-");
        assertThat(file.bytes()).isEqualTo(jsonl.getBytes(StandardCharsets.UTF_8).length);
        assertThat(file.purpose().asString()).isEqualTo("batch");
        assertThat(new String(client.files().content(file.id()).body().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(jsonl);

        Batch created = client.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(file.id())
                        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .metadata(BatchCreateParams.Metadata.builder()
                                .putAdditionalProperty("team", JsonValue.from("search"))
                                .build())
                        .build());
        assertThat(created.inputFileId()).isEqualTo(file.id());
        assertThat(created.requestCounts().orElseThrow().total()).isEqualTo(20);
        assertThat(created.expiresAt())
                .hasValueSatisfying(t -> assertThat(t - created.createdAt())
                        .isEqualTo(Duration.ofHours(24).toSeconds()));

        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> client.batches().retrieve(created.id()).status().equals(Batch.Status.COMPLETED));
        Batch done = client.batches().retrieve(created.id());
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(16);
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(4);
        assertThat(done.completedAt()).isPresent();
        assertThat(done.metadata().orElseThrow()._additionalProperties())
                .containsEntry("team", JsonValue.from("search"));

        List<JsonNode> output = lines(client.files().content(done.outputFileId().orElseThrow()));
        assertThat(output).hasSize(16).allSatisfy(l -> {
            assertThat(l.at("/response/status_code").asInt()).isEqualTo(200);
            assertThat(l.at("/response/body/choices/0/message/content").asText())
                    .isEqualTo("hello from anthropic");
            assertThat(l.get("error").isNull()).isTrue();
        });
        assertThat(output.stream().map(l -> l.get("custom_id").asText()).toList())
                .containsExactlyElementsOf(IntStream.range(0, 20)
                        .filter(i -> i % 5 != 0)
                        .mapToObj(i -> "req-" + i)
                        .toList());
        List<JsonNode> errors = lines(client.files().content(done.errorFileId().orElseThrow()));
        assertThat(errors)
                .extracting(l -> l.get("custom_id").asText())
                .containsExactly("req-0", "req-5", "req-10", "req-15");
        assertThat(errors).allSatisfy(l -> {
            assertThat(l.at("/response/status_code").asInt()).isEqualTo(429);
            assertThat(l.at("/response/body/error/message").asText()).isEqualTo("primary says slow down");
        });
        FileObject outputFile = client.files().retrieve(done.outputFileId().orElseThrow());
        assertThat(outputFile.purpose().asString()).isEqualTo("batch_output");
        assertThat(outputFile.bytes()).isPositive();

        assertThatThrownBy(() -> client.batches().cancel(created.id()))
                .isInstanceOf(com.openai.errors.OpenAIServiceException.class)
                .hasMessageContaining("completed");
        assertThat(backend.published.stream().filter(j -> created.id().equals(j.getBatchId())))
                .hasSize(20)
                .allSatisfy(j -> assertThat(j.getDeadline()).isNotNull());
    }

    @Test
    void shouldAcceptAFileOfSeveralMegabytesSentAsBytesWithoutAFilename() throws IOException {
        // the SDK sends bytes without a filename; the servlet API would make that part a form field capped at 200 KB
        String jsonl = IntStream.range(0, 20_000)
                        .mapToObj(i -> line("big-" + i, "hello " + i))
                        .collect(Collectors.joining("\n"))
                + "\n";
        byte[] bytes = jsonl.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes.length).isGreaterThan(2 * 1024 * 1024);

        FileObject file = client().files()
                .create(FileCreateParams.builder()
                        .file(bytes)
                        .purpose(FilePurpose.BATCH)
                        .build());

        assertThat(file.bytes()).isEqualTo(bytes.length);
        assertThat(client().files().content(file.id()).body().readAllBytes()).isEqualTo(bytes);
    }

    @Test
    void shouldListBatchesNewestFirstPageByPageAndFilesToo() {
        OpenAIClient client = client();
        FileObject file = client.files()
                .create(FileCreateParams.builder()
                        .file(line("a", "hi").getBytes(StandardCharsets.UTF_8))
                        .purpose(FilePurpose.BATCH)
                        .build());
        List<String> ids = IntStream.range(0, 3)
                .mapToObj(i -> client.batches()
                        .create(BatchCreateParams.builder()
                                .inputFileId(file.id())
                                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                                .build())
                        .id())
                .toList();

        var first = client.batches().list(BatchListParams.builder().limit(2).build());
        assertThat(first.data()).hasSize(2);
        assertThat(first.hasNextPage()).isTrue();
        List<String> all = new java.util.ArrayList<>();
        first.autoPager().forEach(b -> all.add(b.id()));
        assertThat(all).containsAll(ids);
        assertThat(all).doesNotHaveDuplicates();

        assertThat(client.files().list().data()).extracting(FileObject::id).contains(file.id());
        assertThat(client.files().delete(file.id()).deleted()).isTrue();
        assertThatThrownBy(() -> client.files().retrieve(file.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void shouldCancelABatchWhoseItemsHaveNotEnded() {
        InMemoryBackend quiet = new InMemoryBackend();
        try (RelayIngress other = RelayIngress.start(TestConfigs.config("", "", ""), quiet, Clock.systemUTC())) {
            OpenAIClient client = OpenAIOkHttpClient.builder()
                    .baseUrl("http://127.0.0.1:" + other.port() + "/v1")
                    .apiKey("unused")
                    .maxRetries(0)
                    .build();
            FileObject file = client.files()
                    .create(FileCreateParams.builder()
                            .file(line("a", "hi").getBytes(StandardCharsets.UTF_8))
                            .purpose(FilePurpose.BATCH)
                            .build());
            Batch b = client.batches()
                    .create(BatchCreateParams.builder()
                            .inputFileId(file.id())
                            .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                            .completionWindow(BatchCreateParams.CompletionWindow._24H)
                            .build());
            assertThat(b.status()).isEqualTo(Batch.Status.IN_PROGRESS);

            Batch cancelling = client.batches().cancel(b.id());
            assertThat(cancelling.status()).isEqualTo(Batch.Status.CANCELLING);
            assertThat(cancelling.cancellingAt()).isPresent();
            quiet.view().onResult(TestResults.succeededAt(quiet.published.get(0), 0, 200));
            assertThat(client.batches().retrieve(b.id()).status()).isEqualTo(Batch.Status.CANCELLED);
        }
    }

    @Test
    void shouldRefuseAnUnknownInputFileThroughTheSdk() {
        assertThatThrownBy(() -> client().batches()
                        .create(BatchCreateParams.builder()
                                .inputFileId("file-nope")
                                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                                .build()))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("file-nope");
        assertThatThrownBy(() -> client().batches()
                        .create(BatchCreateParams.builder()
                                .inputFileId("file-nope")
                                .endpoint(BatchCreateParams.Endpoint.V1_EMBEDDINGS)
                                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                                .build()))
                .isInstanceOf(BadRequestException.class);
        assertThat(Map.of()).isEmpty();
    }
}
