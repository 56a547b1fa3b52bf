package dev.relay.ingress.batch;

import static dev.relay.ingress.batch.BatchSdkTest.line;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.Http;
import dev.relay.ingress.InMemoryBackend;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.TestConfigs;
import dev.relay.ingress.TestResults;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad files and bad batches get a 4xx with OpenAI's error body naming the line, and nothing is published: no job and
 * no batch record. The file's lines are checked at upload (JSONL, limits) and at batch creation (custom_id, url,
 * body), as OpenAI does.
 */
class BatchBadInputTest {

    private static final String BOUNDARY = "relay-test-boundary";
    private static InMemoryBackend backend;
    private static RelayIngress ingress;
    private static Http http;

    @BeforeAll
    static void start() {
        backend = new InMemoryBackend();
        ingress = RelayIngress.start(TestConfigs.config("", "", ""), backend, Clock.systemUTC());
        http = new Http(ingress.port());
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    @BeforeEach
    void clear() {
        backend.published.clear();
    }

    static byte[] multipart(String purpose, byte[] file) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        String head = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose
                + "\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n";
        b.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        b.writeBytes(file);
        b.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }

    static Http.Response upload(Http http, String purpose, String jsonl) {
        return http.post(
                "/v1/files",
                multipart(purpose, jsonl.getBytes(StandardCharsets.UTF_8)),
                Map.of("Content-Type", "multipart/form-data; boundary=" + BOUNDARY));
    }

    private static String createBody(String fileId, String window) {
        return "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\""
                + window + "\"}";
    }

    private static JsonNode refused(Http.Response r, int status, String param, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(e.get("param").isNull() ? null : e.get("param").asText()).isEqualTo(param);
        assertThat(e.get("code").asText()).isEqualTo(code);
        assertThat(backend.published).isEmpty();
        return e;
    }

    private static String lines(int n) {
        return IntStream.range(0, n).mapToObj(i -> line("req-" + i, "hi")).collect(Collectors.joining("\n"));
    }

    /** A batch over a file whose line {@code bad} is replaced by {@code replacement}. */
    private static Http.Response batchWithLine(int bad, String replacement) {
        List<String> ls = new ArrayList<>(lines(50).lines().toList());
        ls.set(bad, replacement);
        Http.Response up = upload(http, "batch", String.join("\n", ls));
        assertThat(up.status()).as(up.body()).isEqualTo(200);
        return http.postJson("/v1/batches", createBody(up.json().get("id").asText(), "24h"), Map.of());
    }

    @Test
    void shouldRefuseAFileThatIsNotJsonlNamingTheLine() {
        JsonNode e =
                refused(upload(http, "batch", line("a", "x") + "\n" + "not json\n"), 400, "lines[1]", "invalid_jsonl");
        assertThat(e.get("message").asText()).contains("lines[1]");
        refused(upload(http, "batch", line("a", "x") + "\n[1,2]"), 400, "lines[1]", "invalid_jsonl");
        refused(upload(http, "batch", ""), 400, "file", "empty_file");
        assertThat(backend.catalog().list("file"))
                .noneMatch(f -> f.path("relay").path("lines").asInt() == 0);
    }

    @Test
    void shouldRefuseAFileOverFiftyThousandLines() {
        String big = IntStream.range(0, 50_001).mapToObj(i -> "{}").collect(Collectors.joining("\n"));
        refused(upload(http, "batch", big), 400, "file", "too_many_lines");
    }

    @Test
    void shouldRefuseAnUploadWithoutPurposeBatchOrWithoutAFile() {
        refused(upload(http, "fine-tune", line("a", "x")), 400, "purpose", "unsupported_value");
        Http.Response noFile = http.post(
                "/v1/files",
                ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; " + "name=\"purpose\"\r\n\r\nbatch\r\n--"
                                + BOUNDARY + "--\r\n")
                        .getBytes(StandardCharsets.UTF_8),
                Map.of("Content-Type", "multipart/form-data; boundary=" + BOUNDARY));
        refused(noFile, 400, "file", "missing_required_parameter");
        refused(
                http.post("/v1/files", "{}".getBytes(), Map.of("Content-Type", "application/json")),
                415,
                null,
                "unsupported_media_type");
    }

    @Test
    void shouldRefuseALineWithoutCustomId() {
        refused(
                batchWithLine(3, "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}"),
                400,
                "lines[3].custom_id",
                "invalid_value");
    }

    @Test
    void shouldRefuseADuplicateCustomId() {
        JsonNode e =
                refused(batchWithLine(7, line("req-2", "again")), 400, "lines[7].custom_id", "duplicate_custom_id");
        assertThat(e.get("message").asText()).contains("req-2");
    }

    @Test
    void shouldRefuseAUrlOtherThanTheEndpoint() {
        refused(
                batchWithLine(5, line("req-5", "x").replace("/v1/chat/completions", "/v1/embeddings")),
                400,
                "lines[5].url",
                "invalid_value");
    }

    @Test
    void shouldRefuseAnInvalidBodyNamingItsField() {
        JsonNode e = refused(
                batchWithLine(
                        41,
                        "{\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                + "\"body\":{\"model\":\"openai/gpt-4o-mini\",\"messages\":\"hello\"}}"),
                400,
                "lines[41].body.messages",
                "invalid_value");
        assertThat(e.get("message").asText()).startsWith("lines[41]");
        refused(
                batchWithLine(2, line("req-2", "x").replace("openai/gpt-4o-mini", "nope/x")),
                400,
                "lines[2].body.model",
                "unknown_provider");
    }

    @Test
    void shouldRefuseAnUnknownFileAWrongWindowAndAWrongEndpoint() {
        refused(
                http.postJson("/v1/batches", createBody("file-unknown", "24h"), Map.of()),
                404,
                "input_file_id",
                "file_not_found");
        String id = upload(http, "batch", lines(2)).json().get("id").asText();
        refused(
                http.postJson("/v1/batches", createBody(id, "1h"), Map.of()),
                400,
                "completion_window",
                "invalid_value");
        refused(
                http.postJson(
                        "/v1/batches",
                        createBody(id, "24h").replace("/v1/chat/completions", "/v1/embeddings"),
                        Map.of()),
                400,
                "endpoint",
                "unsupported_value");
        refused(
                http.postJson("/v1/batches", "{\"input_file_id\":\"" + id + "\"}", Map.of()),
                400,
                "endpoint",
                "missing_required_parameter");
        assertThat(backend.catalog().list("batch"))
                .noneMatch(b -> b.path("input_file_id").asText().equals(id));
    }

    /** {@code body} (a JSON object) with {@code "metadata": metadata} added. */
    private static String withMetadata(String body, String metadata) {
        return body.substring(0, body.lastIndexOf('}')) + ",\"metadata\":" + metadata + "}";
    }

    private static String metadataOfKeys(int n) {
        return IntStream.range(0, n).mapToObj(i -> "\"k" + i + "\":\"v\"").collect(Collectors.joining(",", "{", "}"));
    }

    /** The batch door checks metadata as {@code /v1/jobs} does, with OpenAI's limits and codes (one check: Metadata). */
    @Test
    void shouldRefuseMetadataOverOpenAisLimitsAndAcceptItAtThem() {
        String file = upload(http, "batch", lines(2)).json().get("id").asText();
        String create = createBody(file, "24h");
        Http.Response r;
        refused(http.postJson("/v1/batches", withMetadata(create, "\"x\""), Map.of()), 400, "metadata", "invalid_type");
        r = http.postJson("/v1/batches", withMetadata(create, metadataOfKeys(17)), Map.of());
        assertThat(refused(r, 400, "metadata", "object_above_max_properties")
                        .get("message")
                        .asText())
                .contains("at most 16 properties");
        r = http.postJson("/v1/batches", withMetadata(create, "{\"" + "k".repeat(65) + "\":\"v\"}"), Map.of());
        refused(r, 400, "metadata", "string_above_max_length");
        r = http.postJson("/v1/batches", withMetadata(create, "{\"team\":1}"), Map.of());
        refused(r, 400, "metadata.team", "invalid_type");
        r = http.postJson("/v1/batches", withMetadata(create, "{\"team\":\"" + "v".repeat(513) + "\"}"), Map.of());
        assertThat(refused(r, 400, "metadata.team", "string_above_max_length")
                        .get("message")
                        .asText())
                .contains("maximum length 512");
        assertThat(backend.catalog().list("batch"))
                .noneMatch(b -> b.path("input_file_id").asText().equals(file));

        // at the limits: 16 keys, one of 64 characters holding 512
        String full = metadataOfKeys(15).replace("}", ",\"" + "k".repeat(64) + "\":\"" + "v".repeat(512) + "\"}");
        Http.Response ok = http.postJson("/v1/batches", withMetadata(create, full), Map.of());
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().get("metadata")).hasSize(16);
        assertThat(ok.json().get("metadata").get("k".repeat(64)).asText()).hasSize(512);
        assertThat(ok.json().at("/metadata/k0").asText()).isEqualTo("v");
    }

    @Test
    void shouldRefuseToCancelAnEndedOrUnknownBatch() {
        String file = upload(http, "batch", lines(1)).json().get("id").asText();
        Http.Response created = http.postJson("/v1/batches", createBody(file, "24h"), Map.of());
        String id = created.json().get("id").asText();
        backend.view().onResult(TestResults.succeededAt(backend.published.get(0), 0, 200));
        backend.published.clear();
        assertThat(http.get("/v1/batches/" + id, Map.of()).json().get("status").asText())
                .isEqualTo("completed");

        refused(
                http.post("/v1/batches/" + id + "/cancel", new byte[0], Map.of()),
                409,
                "batch_id",
                "batch_not_cancellable");
        refused(http.post("/v1/batches/batch_nope/cancel", new byte[0], Map.of()), 404, "batch_id", "batch_not_found");
    }
}
