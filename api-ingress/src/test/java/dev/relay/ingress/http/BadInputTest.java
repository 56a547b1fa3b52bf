package dev.relay.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.Http;
import dev.relay.ingress.InMemoryBackend;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.TestConfigs;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad input gets a 4xx with OpenAI's error body (message, type, param, code) and publishes nothing. Runs the
 * real router in-process; the publisher seam records what would have gone to Kafka (BadInputIT repeats a sample on
 * the real broker).
 */
class BadInputTest {

    private static final String OK_MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final String CHAT = "/v1/chat/completions";
    private static final String JOBS = "/v1/jobs";
    private static final String BATCHES = "/v1/batches";
    private static final byte[] INVALID_UTF8 = concat(
            "{\"model\":\"openai/gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"",
            new byte[] {(byte) 0xC3, (byte) 0x28},
            "\"}]}");

    private static InMemoryBackend backend;
    private static RelayIngress ingress;
    private static Http http;

    @BeforeAll
    static void start() {
        backend = new InMemoryBackend();
        ingress = RelayIngress.start(
                TestConfigs.config("", ", \"max_body_bytes\": 4096, \"api_keys\": [\"env.RELAY_KEY\"]", ""),
                backend,
                Clock.systemUTC());
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

    record Case(
            String name,
            String path,
            String contentType,
            byte[] body,
            Map<String, String> headers,
            int status,
            String param,
            String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case chat(String name, String json, int status, String param, String code) {
        return new Case(
                name, CHAT, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of(), status, param, code);
    }

    static Case jobs(String name, String json, int status, String param, String code) {
        return new Case(
                name, JOBS, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of(), status, param, code);
    }

    static Case batch(String name, String jsonl, String param, String code) {
        return new Case(
                name, BATCHES, "application/jsonl", jsonl.getBytes(StandardCharsets.UTF_8), Map.of(), 400, param, code);
    }

    /** A metadata object of {@code n} short keys. */
    static String metadataOfKeys(int n) {
        return java.util.stream.IntStream.range(0, n)
                .mapToObj(i -> "\"k" + i + "\":\"v\"")
                .collect(java.util.stream.Collectors.joining(",", "{", "}"));
    }

    static Case withHeaders(Case c, Map<String, String> headers) {
        return new Case(c.name(), c.path(), c.contentType(), c.body(), headers, c.status(), c.param(), c.code());
    }

    static Stream<Arguments> cases() {
        String line =
                "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"openai/gpt\","
                        + OK_MSG + "}}";
        return Stream.of(
                        chat("malformed JSON", "{\"model\": \"openai/gpt\", ", 400, null, "invalid_json"),
                        chat("empty body", "", 400, null, "invalid_json"),
                        chat("body is an array", "[1,2]", 400, null, "invalid_json"),
                        chat(
                                "trailing tokens after the JSON body",
                                "{\"model\":\"openai/gpt\"," + OK_MSG + "} xyz",
                                400,
                                null,
                                "invalid_json"),
                        chat(
                                "a second JSON value after the body",
                                "{\"model\":\"openai/gpt\"," + OK_MSG + "}{}",
                                400,
                                null,
                                "invalid_json"),
                        jobs(
                                "trailing tokens on /v1/jobs",
                                "{\"model\":\"openai/gpt\"," + OK_MSG + "} xyz",
                                400,
                                null,
                                "invalid_json"),
                        chat(
                                "duplicate keys",
                                "{\"model\":\"openai/a\",\"model\":\"openai/b\"," + OK_MSG + "}",
                                400,
                                null,
                                "invalid_json"),
                        chat("missing model", "{" + OK_MSG + "}", 400, "model", "missing_required_parameter"),
                        chat("missing messages", "{\"model\":\"openai/gpt\"}", 400, "messages", "invalid_value"),
                        chat("model not a string", "{\"model\":42," + OK_MSG + "}", 400, "model", "invalid_type"),
                        chat(
                                "model without provider",
                                "{\"model\":\"gpt-4o\"," + OK_MSG + "}",
                                400,
                                "model",
                                "invalid_model"),
                        chat(
                                "model with empty model part",
                                "{\"model\":\"openai/\"," + OK_MSG + "}",
                                400,
                                "model",
                                "invalid_model"),
                        chat(
                                "model with empty provider",
                                "{\"model\":\"/gpt\"," + OK_MSG + "}",
                                400,
                                "model",
                                "invalid_model"),
                        chat(
                                "unknown provider",
                                "{\"model\":\"nope/x\"," + OK_MSG + "}",
                                400,
                                "model",
                                "unknown_provider"),
                        chat(
                                "fallbacks not an array",
                                "{\"model\":\"openai/gpt\",\"fallbacks\":\"anthropic/c\"," + OK_MSG + "}",
                                400,
                                "fallbacks",
                                "invalid_type"),
                        chat(
                                "fallback not a string",
                                "{\"model\":\"openai/gpt\",\"fallbacks\":[7]," + OK_MSG + "}",
                                400,
                                "fallbacks[0]",
                                "invalid_type"),
                        chat(
                                "fallback unknown provider",
                                "{\"model\":\"openai/gpt\",\"fallbacks\":[\"groq/l\",\"mystery/m\"]," + OK_MSG + "}",
                                400,
                                "fallbacks[1]",
                                "unknown_provider"),
                        chat(
                                "fallback bad syntax",
                                "{\"model\":\"openai/gpt\",\"fallbacks\":[\"groq\"]," + OK_MSG + "}",
                                400,
                                "fallbacks[0]",
                                "invalid_model"),
                        chat(
                                "chain too long",
                                "{\"model\":\"openai/gpt\",\"fallbacks\":[\"groq/a\",\"anthropic/b\",\"openai/c\"],"
                                        + OK_MSG + "}",
                                400,
                                "fallbacks",
                                "chain_too_long"),
                        chat(
                                "stream_options not an object",
                                "{\"model\":\"openai/gpt\",\"stream\":true,\"stream_options\":\"usage\"," + OK_MSG
                                        + "}",
                                400,
                                "stream_options",
                                "invalid_type"),
                        chat(
                                "include_usage not a boolean",
                                "{\"model\":\"openai/gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":1},"
                                        + OK_MSG + "}",
                                400,
                                "stream_options.include_usage",
                                "invalid_type"),
                        chat(
                                "stream not boolean",
                                "{\"model\":\"openai/gpt\",\"stream\":\"yes\"," + OK_MSG + "}",
                                400,
                                "stream",
                                "invalid_type"),
                        chat(
                                "messages not an array",
                                "{\"model\":\"openai/gpt\",\"messages\":\"hi\"}",
                                400,
                                "messages",
                                "invalid_value"),
                        chat(
                                "messages empty",
                                "{\"model\":\"openai/gpt\",\"messages\":[]}",
                                400,
                                "messages",
                                "invalid_value"),
                        chat(
                                "message without role",
                                "{\"model\":\"openai/gpt\",\"messages\":[{\"content\":\"hi\"}]}",
                                400,
                                "messages[0].role",
                                "invalid_value"),
                        chat(
                                "message content a number",
                                "{\"model\":\"openai/gpt\",\"messages\":[{\"role\":\"user\",\"content\":5}]}",
                                400,
                                "messages[0].content",
                                "invalid_value"),
                        chat(
                                "temperature a string",
                                "{\"model\":\"openai/gpt\",\"temperature\":\"hot\"," + OK_MSG + "}",
                                400,
                                "temperature",
                                "invalid_value"),
                        chat(
                                "max_tokens negative",
                                "{\"model\":\"openai/gpt\",\"max_tokens\":-3," + OK_MSG + "}",
                                400,
                                "max_tokens",
                                "invalid_value"),
                        chat(
                                "stop a number",
                                "{\"model\":\"openai/gpt\",\"stop\":3," + OK_MSG + "}",
                                400,
                                "stop",
                                "invalid_value"),
                        chat(
                                "tools not an array",
                                "{\"model\":\"openai/gpt\",\"tools\":{}," + OK_MSG + "}",
                                400,
                                "tools",
                                "invalid_value"),
                        chat(
                                "callback_url on the sync endpoint",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"https://example.com/h\"," + OK_MSG + "}",
                                400,
                                "callback_url",
                                "unsupported_parameter"),
                        chat(
                                "body over max_body_bytes",
                                "{\"model\":\"openai/gpt\",\"messages\":[{\"role\":\"user\",\"content\":\""
                                        + "x".repeat(5000) + "\"}]}",
                                413,
                                null,
                                "request_too_large"),
                        new Case(
                                "invalid UTF-8",
                                CHAT,
                                "application/json",
                                INVALID_UTF8,
                                Map.of(),
                                400,
                                null,
                                "invalid_encoding"),
                        new Case(
                                "content type text/plain",
                                CHAT,
                                "text/plain",
                                ("{\"model\":\"openai/gpt\"," + OK_MSG + "}").getBytes(),
                                Map.of(),
                                415,
                                null,
                                "unsupported_media_type"),
                        new Case(
                                "content type form (curl -d default)",
                                CHAT,
                                "application/x-www-form-urlencoded",
                                "a=b".getBytes(),
                                Map.of(),
                                415,
                                null,
                                "unsupported_media_type"),
                        new Case(
                                "charset latin-1",
                                CHAT,
                                "application/json; charset=iso-8859-1",
                                ("{\"model\":\"openai/gpt\"," + OK_MSG + "}").getBytes(),
                                Map.of(),
                                415,
                                null,
                                "unsupported_charset"),
                        withHeaders(
                                chat(
                                        "no API key",
                                        "{\"model\":\"openai/gpt\"," + OK_MSG + "}",
                                        401,
                                        null,
                                        "missing_api_key"),
                                Map.of("Authorization", "")),
                        withHeaders(
                                chat(
                                        "wrong API key",
                                        "{\"model\":\"openai/gpt\"," + OK_MSG + "}",
                                        401,
                                        null,
                                        "invalid_api_key"),
                                Map.of("Authorization", "Bearer sk-wrong")),
                        withHeaders(
                                chat(
                                        "bad x-relay-timeout",
                                        "{\"model\":\"openai/gpt\"," + OK_MSG + "}",
                                        400,
                                        "x-relay-timeout",
                                        "invalid_header"),
                                Map.of("x-relay-timeout", "soon")),
                        withHeaders(
                                chat(
                                        "Idempotency-Key too long",
                                        "{\"model\":\"openai/gpt\"," + OK_MSG + "}",
                                        400,
                                        "Idempotency-Key",
                                        "invalid_header"),
                                Map.of("Idempotency-Key", "k".repeat(300))),
                        jobs(
                                "callback_url not http",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"ftp://example.com/x\"," + OK_MSG + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url loopback (SSRF)",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"http://127.0.0.1:8080/x\"," + OK_MSG
                                        + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url cloud metadata (SSRF)",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"http://169.254.169.254/latest\"," + OK_MSG
                                        + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url host name resolving to loopback",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"http://loopback.relay.test/x\"," + OK_MSG
                                        + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url host name resolving to a private address",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"https://private.relay.test/x\"," + OK_MSG
                                        + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url host name with one private address among public ones",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"https://mixed.relay.test/x\"," + OK_MSG
                                        + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url host name resolving to link-local",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"http://metadata.relay.test/latest\","
                                        + OK_MSG + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "callback_url host name that does not resolve",
                                "{\"model\":\"openai/gpt\",\"callback_url\":\"https://nowhere.relay.test/x\"," + OK_MSG
                                        + "}",
                                400,
                                "callback_url",
                                "invalid_callback_url"),
                        jobs(
                                "deadline in the past",
                                "{\"model\":\"openai/gpt\",\"deadline\":\"2001-01-01T00:00:00Z\"," + OK_MSG + "}",
                                400,
                                "deadline",
                                "invalid_value"),
                        jobs(
                                "metadata value not a string",
                                "{\"model\":\"openai/gpt\",\"metadata\":{\"a\":1}," + OK_MSG + "}",
                                400,
                                "metadata.a",
                                "invalid_type"),
                        jobs(
                                "metadata not an object",
                                "{\"model\":\"openai/gpt\",\"metadata\":[\"a\"]," + OK_MSG + "}",
                                400,
                                "metadata",
                                "invalid_type"),
                        jobs(
                                "metadata with 17 keys",
                                "{\"model\":\"openai/gpt\",\"metadata\":" + metadataOfKeys(17) + "," + OK_MSG + "}",
                                400,
                                "metadata",
                                "object_above_max_properties"),
                        jobs(
                                "metadata key of 65 characters",
                                "{\"model\":\"openai/gpt\",\"metadata\":{\"" + "k".repeat(65) + "\":\"v\"}," + OK_MSG
                                        + "}",
                                400,
                                "metadata",
                                "string_above_max_length"),
                        jobs(
                                "metadata value of 513 characters",
                                "{\"model\":\"openai/gpt\",\"metadata\":{\"team\":\"" + "v".repeat(513) + "\"},"
                                        + OK_MSG + "}",
                                400,
                                "metadata.team",
                                "string_above_max_length"),
                        jobs(
                                "unknown provider on /v1/jobs",
                                "{\"model\":\"nope/x\"," + OK_MSG + "}",
                                400,
                                "model",
                                "unknown_provider"),
                        batch("batch line not JSON", line + "\n{oops\n", "lines[1]", "invalid_json"),
                        batch(
                                "batch duplicate custom_id",
                                line + "\n" + line + "\n",
                                "lines[1].custom_id",
                                "duplicate_custom_id"),
                        batch(
                                "batch line unknown provider",
                                line + "\n" + line.replace("\"a\"", "\"b\"").replace("openai/gpt", "nope/gpt"),
                                "lines[1].body.model",
                                "unknown_provider"),
                        batch(
                                "batch line stream true",
                                line.replace("\"body\":{", "\"body\":{\"stream\":true,"),
                                "lines[0].body.stream",
                                "streaming_unsupported"),
                        batch("batch empty", "\n\n", null, "empty_batch"))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldRefuseWithOpenAiErrorAndPublishNothing(Case c) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", c.contentType());
        headers.put("Authorization", "Bearer " + TestConfigs.API_KEY);
        headers.putAll(c.headers());
        if (headers.get("Authorization").isEmpty()) {
            headers.remove("Authorization");
        }
        Http.Response r = http.post(c.path(), c.body(), headers);

        assertThat(r.status()).as(r.body()).isEqualTo(c.status());
        JsonNode error = r.json().get("error");
        assertThat(error).as(r.body()).isNotNull();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.get("param").isNull() ? null : error.get("param").asText())
                .isEqualTo(c.param());
        assertThat(error.get("code").asText()).isEqualTo(c.code());
        assertThat(r.body()).doesNotContain(TestConfigs.API_KEY);
        assertThat(backend.published).isEmpty();
    }

    /** Requests the HTTP server refuses before the router; sent over a raw socket, as a client could. */
    static Stream<Arguments> serverCases() {
        String big = "a".repeat(20_000);
        return Stream.of(
                Arguments.of(
                        "header of 20,000 characters",
                        "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n",
                        431,
                        "request_header_fields_too_large"),
                Arguments.of(
                        "URL of 20,000 characters",
                        "GET /v1/jobs/" + big + " HTTP/1.1\r\nHost: x\r\n\r\n",
                        414,
                        "uri_too_long"),
                Arguments.of("%00 in the path", "GET /v1/jobs/%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
                Arguments.of(
                        "header line without a colon",
                        "GET /health/live HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
                        400,
                        "bad_request"),
                Arguments.of(
                        "Content-Length not a number",
                        "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: many" + "\r\n\r\n{}",
                        400,
                        "bad_request"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serverCases")
    void shouldAnswerTheHttpServersOwnErrorsWithOpenAiError(String name, String request, int status, String code)
            throws Exception {
        String answer;
        try (Socket socket = new Socket("127.0.0.1", ingress.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            answer = readAnswer(socket);
        }
        String statusLine = answer.substring(0, answer.indexOf("\r\n"));
        String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
        String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        assertThat(statusLine).as(answer).startsWith("HTTP/1.1 " + status + " ");
        assertThat(head).contains("content-type: application/json");
        JsonNode error =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).get("error");
        assertThat(error).as(body).isNotNull();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).contains(Integer.toString(status));
        assertThat(error.has("param")).isTrue();
        assertThat(backend.published).isEmpty();
    }

    /** The status line, headers and body of one answer (Content-Length, or until the server closes). */
    private static String readAnswer(Socket socket) throws java.io.IOException {
        var in = socket.getInputStream();
        var out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (java.net.SocketException e) {
                break; // reset after the answer: the server closed a connection it would not read further
            }
            if (n < 0) {
                break;
            }
            out.write(buf, 0, n);
            String text = out.toString(StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                    .matcher(text);
            if (end >= 0 && m.find() && text.length() >= end + 4 + Integer.parseInt(m.group(1))) {
                break;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static byte[] concat(String a, byte[] b, String c) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] z = c.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[x.length + b.length + z.length];
        System.arraycopy(x, 0, out, 0, x.length);
        System.arraycopy(b, 0, out, x.length, b.length);
        System.arraycopy(z, 0, out, x.length + b.length, z.length);
        return out;
    }
}
