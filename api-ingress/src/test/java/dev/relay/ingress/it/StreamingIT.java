package dev.relay.ingress.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.StreamReply;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code stream: true} end to end: the real broker, registry, processor and ingress, and one fake provider that
 * streams each dialect's real wire format ({@link StreamReply}). One test per rule of the failover contract
 * (docs/streaming.md). One processor and one ingress serve every test of the class (a start costs seconds, and each
 * test's jobs end before it returns); tests that need a second ingress or other ingress settings start their own
 * beside it, on the same topics.
 */
class StreamingIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static FakeProvider fake;
    private static Topics topics;
    private static String stateDir;
    private static RelayConfig config;
    private static RelayProcessor processor;
    private static RelayIngress shared;
    private static int port;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void startRelay() throws Exception {
        fake = FakeProvider.start();
        topics = new Topics("s" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(topics);
        stateDir = Files.createTempDirectory("stream-it").toString();
        config = config("");
        processor = RelayProcessor.start(config);
        assertThat(processor.awaitRunning(Duration.ofSeconds(60)))
                .as("processor RUNNING")
                .isTrue();
        shared = RelayIngress.start(config);
        port = shared.port();
    }

    @AfterAll
    static void stopRelay() {
        if (shared != null) {
            shared.close();
        }
        if (processor != null) {
            processor.close();
        }
        fake.close();
    }

    @BeforeEach
    void freshScript() {
        fake.clearRequests();
        fake.clearQueue(); // what a failed test did not use must not answer the next one
        fake.script(r -> StreamReply.text("hello from the fake").reply());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
    }

    private static RelayConfig config(String ingressExtra) {
        String base = fake.baseUrl();
        String json = """
                {"providers": {
                   "openai": {"type": "openai", "keys": [{"name": "o1", "value": "sk-o"}],
                              "network_config": {"base_url": "%1$s", "max_retries": 0}},
                   "anthropic": {"type": "anthropic", "keys": [{"name": "a1", "value": "sk-a"}],
                                 "network_config": {"base_url": "%1$s", "max_retries": 0}},
                   "gemini": {"type": "gemini", "keys": [{"name": "g1", "value": "sk-g"}],
                              "network_config": {"base_url": "%1$s", "max_retries": 0}},
                   "groq": {"type": "openai-compatible", "keys": [{"name": "q1", "value": "sk-q"}],
                            "network_config": {"base_url": "%1$s", "max_retries": 0,
                                               "stream_idle_timeout_in_seconds": "500ms"}}},
                 "kafka": {"bootstrap_servers": "%2$s", "schema_registry_url": "%3$s", "topic_prefix": "%4$s",
                           "application_id": "%4$sprocessor", "state_dir": "%5$s",
                           "commit_interval": "20ms", "poll_interval": "5ms"},
                 "circuit_breaker": {"enabled": false},
                 "metrics": {"port": 0},
                 "ingress": {"port": 0, "sync_timeout": "30s" %6$s}}
                """.formatted(
                        base, STACK.bootstrapServers(), STACK.registryUrl(), topics.prefix(), stateDir, ingressExtra);
        return new ConfigLoader(n -> Optional.empty()).parse(json, "it");
    }

    /** Another ingress on the shared topics, closed after the test. */
    private RelayIngress ingress(RelayConfig config) {
        RelayIngress i = RelayIngress.start(config);
        open.add(i);
        return i;
    }

    static String body(String model, String fallback, String prompt, boolean usage) {
        return "{\"model\":\"" + model + "\"," + (fallback == null ? "" : "\"fallbacks\":[\"" + fallback + "\"],")
                + "\"stream\":true," + (usage ? "\"stream_options\":{\"include_usage\":true}," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    /** One server-sent event as the caller got it. */
    record Event(String id, String event, String data) {
        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError(data, e);
            }
        }
    }

    /** A caller's stream: its status, headers and events (read to the end, or the first {@code max}). */
    record Stream(int status, String jobId, String contentType, List<Event> events, String raw) {
        String text() {
            StringBuilder b = new StringBuilder();
            for (Event e : events) {
                if (!e.data().equals("[DONE]") && e.event() == null) {
                    b.append(e.json().at("/choices/0/delta/content").asText(""));
                }
            }
            return b.toString();
        }

        boolean done() {
            return !events.isEmpty() && events.get(events.size() - 1).data().equals("[DONE]");
        }

        Event last() {
            return events.get(events.size() - 1);
        }
    }

    static Stream post(int port, String body, Map<String, String> headers, int max) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return read(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()), max);
    }

    static Stream get(int port, String path, Map<String, String> headers, int max) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .GET();
        headers.forEach(b::header);
        return read(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()), max);
    }

    static Stream read(HttpResponse<InputStream> r, int max) throws IOException {
        List<Event> events = new ArrayList<>();
        StringBuilder raw = new StringBuilder();
        try (InputStream in = r.body();
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            for (String line; events.size() < max && (line = reader.readLine()) != null; ) {
                raw.append(line).append('\n');
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(id, event, data.toString()));
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = data == null
                            ? new StringBuilder(line.substring(6))
                            : data.append('\n').append(line.substring(6));
                }
            }
        }
        return new Stream(
                r.statusCode(),
                r.headers().firstValue("x-relay-job-id").orElse(null),
                r.headers().firstValue("content-type").orElse(""),
                events,
                raw.toString());
    }

    static JsonNode job(int port, String id) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + id))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    static void awaitSucceeded(int port, String id) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> job(port, id).path("status").asText().equals("succeeded"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "openai/gpt-4o-mini",
                "anthropic/claude-3-5-haiku",
                "gemini/gemini-2.0-flash",
                "groq/llama-3.3-70b"
            })
    void shouldStreamACleanAnswerThroughEachDialect(String model) throws Exception {

        Stream s = post(port, body(model, null, "hi", true), Map.of(), Integer.MAX_VALUE);

        assertThat(s.status()).as(s.raw()).isEqualTo(200);
        assertThat(s.contentType()).startsWith("text/event-stream");
        assertThat(s.jobId()).startsWith("job_");
        assertThat(s.text()).isEqualTo("hello from the fake");
        assertThat(s.done()).as(s.raw()).isTrue();
        JsonNode first = s.events().get(0).json();
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.at("/extra_fields/provider").asText()).isEqualTo(model.substring(0, model.indexOf('/')));
        assertThat(first.at("/extra_fields/job_id").asText()).isEqualTo(s.jobId());
        assertThat(first.at("/extra_fields/fallback_index").asInt()).isZero();
        assertThat(s.events())
                .filteredOn(e -> !e.data().equals("[DONE]"))
                .allSatisfy(e -> assertThat(e.id()).matches("\\d+"));
        JsonNode usage = s.events().get(s.events().size() - 2).json();
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(4);
        awaitSucceeded(port, s.jobId());
        assertThat(job(port, s.jobId())
                        .at("/response/choices/0/message/content")
                        .asText())
                .isEqualTo("hello from the fake");
        assertThat(fake.requests())
                .allSatisfy(r -> assertThat(r.header("Accept")).isEqualTo("text/event-stream"));
    }

    @Test
    void shouldAnswerA429BeforeTheFirstTokenWithTheFallbacksStream() throws Exception {
        fake.enqueue(Reply.error(429), StreamReply.text("from the fallback").reply());

        Stream s = post(port, body("openai/gpt-4o-mini", "anthropic/claude", "hi", false), Map.of(), 100);

        assertThat(s.text()).isEqualTo("from the fallback");
        assertThat(s.done()).isTrue();
        assertThat(s.events().get(0).json().at("/extra_fields/provider").asText())
                .isEqualTo("anthropic");
        assertThat(s.events().get(0).json().at("/extra_fields/fallback_index").asInt())
                .isEqualTo(1);
    }

    @Test
    void shouldAnswerAnErrorEventAfterMessageStartWithTheFallback() throws Exception {
        fake.enqueue(
                StreamReply.text("never seen").errorAfter(0, "overloaded_error").reply(),
                StreamReply.text("from openai").reply());

        Stream s = post(port, body("anthropic/claude", "openai/gpt-4o-mini", "hi", false), Map.of(), 100);

        assertThat(s.text()).isEqualTo("from openai");
        assertThat(s.done()).isTrue();
        awaitSucceeded(port, s.jobId());
        JsonNode job = job(port, s.jobId());
        assertThat(job.at("/attempts/0/outcome").asText()).isEqualTo("TRANSIENT");
    }

    @Test
    void shouldEndACutStreamWithAnInBandErrorAndFinishTheJobOnTheFallback() throws Exception {
        // paced, so the two tokens reach the processor before the connection drops (a reset may discard unread data)
        fake.enqueue(
                StreamReply.text("one two three four")
                        .pace(Duration.ofMillis(50))
                        .cutAfter(2)
                        .reply(),
                StreamReply.text("the whole answer").reply());

        Stream s = post(port, body("openai/gpt-4o-mini", "anthropic/claude", "hi", false), Map.of(), 100);

        assertThat(s.text()).isEqualTo("one two ");
        assertThat(s.done()).isFalse();
        assertThat(s.last().event()).isEqualTo("error");
        assertThat(s.last().json().at("/error/code").asText()).isEqualTo("stream_interrupted");
        assertThat(s.last().json().at("/error/job_id").asText()).isEqualTo(s.jobId());
        assertThat(s.raw()).doesNotContain("\"finish_reason\":\"stop\"");
        awaitSucceeded(port, s.jobId());
        JsonNode job = job(port, s.jobId());
        assertThat(job.at("/response/choices/0/message/content").asText()).isEqualTo("the whole answer");
        assertThat(job.at("/attempts/0/outcome").asText()).isEqualTo("TRUNCATED");
        Stream later = get(port, "/v1/jobs/" + s.jobId() + "/stream", Map.of(), 100);
        assertThat(later.text()).isEqualTo("the whole answer");
        assertThat(later.done()).isTrue();
    }

    @Test
    void shouldNotReplayAnInterruptedAttemptToALateAttacher() throws Exception {
        fake.enqueue(
                StreamReply.text("one two three four")
                        .pace(Duration.ofMillis(50))
                        .cutAfter(2)
                        .reply(),
                StreamReply.text("a b c d e f").pace(Duration.ofMillis(150)).reply());

        Stream s = post(port, body("openai/gpt-4o-mini", "anthropic/claude", "hi", false), Map.of(), 100);
        assertThat(s.last().json().at("/error/code").asText()).isEqualTo("stream_interrupted");
        // attached while the next attempt streams: the cut attempt is not replayed, the fallback's answer is
        Stream late = get(port, "/v1/jobs/" + s.jobId() + "/stream", Map.of(), 100);

        assertThat(late.text()).isEqualTo("a b c d e f");
        assertThat(late.done()).isTrue();
        assertThat(late.raw()).doesNotContain("one").doesNotContain("stream_interrupted");
        assertThat(late.events().get(0).id())
                .as("read from relay.stream, not from the result")
                .isNotNull();
        assertThat(late.events().get(0).json().at("/extra_fields/job_id").asText())
                .isEqualTo(s.jobId());
    }

    @Test
    void shouldEndAStallPastTheIdleTimeoutWithAnInBandErrorAsATimeout() throws Exception {
        fake.enqueue(
                StreamReply.text("slow start").stallAfter(1).reply(),
                StreamReply.text("done").reply());

        Stream s = post(port, body("groq/llama", "openai/gpt-4o-mini", "hi", false), Map.of(), 100);

        assertThat(s.text()).isEqualTo("slow ");
        assertThat(s.last().json().at("/error/code").asText()).isEqualTo("stream_interrupted");
        awaitSucceeded(port, s.jobId());
        assertThat(job(port, s.jobId()).at("/attempts/0/outcome").asText()).isEqualTo("TIMEOUT");
    }

    @Test
    void shouldSkipAMalformedEvent() throws Exception {
        fake.enqueue(StreamReply.text("still whole").malformedAfter(1).reply());
        Map<String, Double> before = malformedEvents();

        Stream s = post(port, body("openai/gpt-4o-mini", null, "hi", false), Map.of(), 100);

        assertThat(s.text()).isEqualTo("still whole");
        assertThat(s.done()).isTrue();
        // the processor is shared by the class: the counters are compared with their values before this test
        Map<String, Double> after = malformedEvents();
        assertThat(after)
                .containsOnlyKeys(
                        "{dialect=\"anthropic\",provider=\"anthropic\"}",
                        "{dialect=\"gemini\",provider=\"gemini\"}",
                        "{dialect=\"openai-compatible\",provider=\"groq\"}",
                        "{dialect=\"openai\",provider=\"openai\"}");
        after.forEach((series, n) -> assertThat(n - before.getOrDefault(series, 0.0))
                .as(series)
                .isEqualTo(series.contains("\"openai\"}") ? 1.0 : 0.0));
    }

    /** relay_stream_malformed_events_total on the processor's /metrics: series labels to value. */
    private static Map<String, Double> malformedEvents() throws Exception {
        HttpResponse<String> metrics = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + processor.metricsPort() + "/metrics"))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        String name = "relay_stream_malformed_events_total";
        return metrics.body()
                .lines()
                .filter(l -> l.startsWith(name + "{"))
                .collect(java.util.stream.Collectors.toMap(
                        l -> l.substring(name.length(), l.lastIndexOf(' ')),
                        l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))));
    }

    @Test
    void shouldFinishAStreamThatEndsWithoutDoneButWithAFinishReason() throws Exception {
        fake.enqueue(StreamReply.text("no done here").withoutEnd().reply());

        Stream s = post(port, body("openai/gpt-4o-mini", null, "hi", true), Map.of(), 100);

        assertThat(s.text()).isEqualTo("no done here");
        assertThat(s.done()).isTrue();
        awaitSucceeded(port, s.jobId());
        assertThat(job(port, s.jobId()).at("/response/usage/completion_tokens").asInt())
                .isEqualTo(3);
    }

    @Test
    void shouldTurnACutIntoAnInvisibleFallbackInBufferedMode() throws Exception {
        fake.enqueue(
                StreamReply.text("one two three").cutAfter(2).reply(),
                StreamReply.text("all of it").reply());

        Stream s = post(
                port,
                body("openai/gpt-4o-mini", "anthropic/claude", "hi", false),
                Map.of("x-relay-stream-mode", "buffered"),
                100);

        assertThat(s.text()).isEqualTo("all of it");
        assertThat(s.done()).isTrue();
        assertThat(s.raw()).doesNotContain("one two");
        awaitSucceeded(port, s.jobId());
        assertThat(job(port, s.jobId()).at("/attempts/0/outcome").asText()).isEqualTo("TRUNCATED");
    }

    @Test
    void shouldResumeAfterADisconnectWithNoGapAndNoRepeat() throws Exception {
        fake.enqueue(
                StreamReply.text("a b c d e f g h").pace(Duration.ofMillis(100)).reply());

        Stream first = post(port, body("openai/gpt-4o-mini", null, "hi", false), Map.of(), 3);
        String lastId = first.last().id();
        Stream rest = get(port, "/v1/jobs/" + first.jobId() + "/stream", Map.of("Last-Event-ID", lastId), 100);

        assertThat(first.text() + rest.text()).isEqualTo("a b c d e f g h");
        assertThat(rest.done()).isTrue();
        assertThat(rest.events().get(0).id()).isNotEqualTo(lastId);
    }

    @Test
    void shouldResumeOnASecondIngressInstance() throws Exception {
        int first = port;
        int second = ingress(config).port();
        fake.enqueue(
                StreamReply.text("p q r s t u").pace(Duration.ofMillis(100)).reply());

        Stream start = post(first, body("openai/gpt-4o-mini", null, "hi", false), Map.of(), 2);
        // the second instance learns of the job from the topics; until then it answers 404 job_not_found
        await().atMost(Duration.ofSeconds(10))
                .until(() -> job(second, start.jobId()).has("status"));
        Stream rest = get(
                second,
                "/v1/jobs/" + start.jobId() + "/stream",
                Map.of("Last-Event-ID", start.last().id()),
                100);

        assertThat(start.text() + rest.text()).isEqualTo("p q r s t u");
        assertThat(rest.done()).isTrue();
        Stream whole = get(second, "/v1/jobs/" + start.jobId() + "/stream", Map.of(), 100);
        assertThat(whole.text()).isEqualTo("p q r s t u");
    }

    @Test
    void shouldRefuseBadStreamingInput() throws Exception {
        assertRefused("\"stream\":\"yes\"", "stream");
        assertRefused("\"stream\":true,\"stream_options\":true", "stream_options");

        Stream unknown = get(port, "/v1/jobs/job_nope/stream", Map.of(), 10);
        assertThat(unknown.status()).isEqualTo(404);

        Stream s = post(port, body("openai/gpt-4o-mini", null, "hi", false), Map.of(), 100);
        Stream badId = get(port, "/v1/jobs/" + s.jobId() + "/stream", Map.of("Last-Event-ID", "abc"), 10);
        assertThat(badId.status()).isEqualTo(400);
    }

    /** A chat request with {@code fields} added gets a 400 whose error names {@code param}. */
    private static void assertRefused(String fields, String param) throws Exception {
        String body = "{\"model\":\"openai/m\"," + fields + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(fields).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/error/param").asText()).isEqualTo(param);
    }

    @Test
    void shouldEndAnOverLongStreamWithAnInBandError() throws Exception {
        int capped = ingress(config(", \"max_stream_bytes\": 1024")).port();
        // the text alone is past the cap: how many records the processor merges the deltas into (one per 5 ms window,
        // fewer when its flush timer runs late) must not decide whether the stream is over-long
        String answer = "x ".repeat(1000);
        fake.enqueue(StreamReply.text(answer).reply());

        Stream s = post(capped, body("openai/gpt-4o-mini", null, "hi", false), Map.of(), 1000);

        assertThat(s.done()).as(s.raw()).isFalse();
        assertThat(s.last().json().at("/error/code").asText()).isEqualTo("stream_too_long");
        awaitSucceeded(capped, s.jobId());
        assertThat(job(capped, s.jobId())
                        .at("/response/choices/0/message/content")
                        .asText())
                .isEqualTo(answer);
        // the stream of the finished job, answered from its result rather than from relay.stream, has the same cap
        Stream again = get(capped, "/v1/jobs/" + s.jobId() + "/stream", Map.of(), 1000);
        assertThat(again.done()).as(again.raw()).isFalse();
        assertThat(again.last().json().at("/error/code").asText()).isEqualTo("stream_too_long");
    }

    @Test
    void shouldStreamThroughTheOfficialOpenAiJavaSdk() throws Exception {
        fake.enqueue(StreamReply.text("sdk says hi").reply());
        var client = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + port + "/v1")
                .apiKey("test")
                .maxRetries(0)
                .build();
        var params = com.openai.models.chat.completions.ChatCompletionCreateParams.builder()
                .model("openai/gpt-4o-mini")
                .addUserMessage("hi")
                .build();
        StringBuilder text = new StringBuilder();

        try (var stream = client.chat().completions().createStreaming(params)) {
            stream.stream()
                    .forEach(chunk ->
                            chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
        }

        assertThat(text.toString()).isEqualTo("sdk says hi");
    }
}
