package dev.relay.testkit.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeProviderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private FakeProvider provider;

    @BeforeEach
    void start() {
        provider = FakeProvider.start();
    }

    @AfterEach
    void stop() {
        provider.close();
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(URI.create(provider.baseUrl() + path))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer sk-test")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Test
    void shouldAnswerEveryDialectInItsOwnShape() throws Exception {
        provider.reply(Reply.ok("hello"));
        JsonNode openai = json(post(
                "/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"user\":\"job-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertThat(openai.at("/choices/0/message/content").asText()).isEqualTo("hello");
        assertThat(openai.path("model").asText()).isEqualTo("gpt-4o");

        JsonNode azure = json(post(
                "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertThat(azure.at("/choices/0/message/content").asText()).isEqualTo("hello");
        assertThat(azure.path("model").asText()).isEqualTo("prod-4o");

        JsonNode anthropic = json(post(
                "/v1/messages",
                "{\"model\":\"claude\",\"max_tokens\":5,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}"));
        assertThat(anthropic.path("type").asText()).isEqualTo("message");
        assertThat(anthropic.at("/content/0/text").asText()).isEqualTo("hello");
        assertThat(anthropic.path("stop_reason").asText()).isEqualTo("end_turn");

        JsonNode gemini = json(post(
                "/v1beta/models/gemini-2.0-flash:generateContent",
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"));
        assertThat(gemini.at("/candidates/0/content/parts/0/text").asText()).isEqualTo("hello");
        assertThat(gemini.path("modelVersion").asText()).isEqualTo("gemini-2.0-flash");

        JsonNode groq = json(post("/openai/v1/chat/completions", "{\"model\":\"llama\",\"messages\":[]}"));
        assertThat(groq.at("/choices/0/message/content").asText()).isEqualTo("hello");

        assertThat(provider.requests())
                .extracting(Request::dialect)
                .containsExactly(Dialect.OPENAI, Dialect.AZURE, Dialect.ANTHROPIC, Dialect.GEMINI, Dialect.OPENAI);
        Request first = provider.requests().get(0);
        assertThat(first.user()).isEqualTo("job-1");
        assertThat(first.text()).isEqualTo("hi");
        assertThat(first.header("authorization")).isEqualTo("Bearer sk-test");
        assertThat(first.status()).isEqualTo(200);
        assertThat(provider.requests().get(1).query()).isEqualTo("api-version=2024-10-21");
        assertThat(provider.requests().get(3).pathParam("model")).isEqualTo("gemini-2.0-flash");
    }

    @Test
    void shouldReportTheGivenUsageInEachDialect() throws Exception {
        provider.reply(Reply.ok("counted").usage(11, 7));
        JsonNode openai = json(post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[]}"));
        assertThat(openai.at("/usage/prompt_tokens").asInt()).isEqualTo(11);
        assertThat(openai.at("/usage/completion_tokens").asInt()).isEqualTo(7);
        assertThat(openai.at("/usage/total_tokens").asInt()).isEqualTo(18);
        JsonNode anthropic = json(post("/v1/messages", "{\"model\":\"claude\",\"max_tokens\":5,\"messages\":[]}"));
        assertThat(anthropic.at("/usage/input_tokens").asInt()).isEqualTo(11);
        assertThat(anthropic.at("/usage/output_tokens").asInt()).isEqualTo(7);
        JsonNode gemini = json(post("/v1beta/models/gemini-2.0-flash:generateContent", "{\"contents\":[]}"));
        assertThat(gemini.at("/usageMetadata/promptTokenCount").asInt()).isEqualTo(11);
        assertThat(gemini.at("/usageMetadata/candidatesTokenCount").asInt()).isEqualTo(7);
        assertThat(gemini.at("/usageMetadata/totalTokenCount").asInt()).isEqualTo(18);
        provider.reply(Reply.ok());
        assertThat(json(post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}"))
                        .at("/usage/total_tokens")
                        .asInt())
                .isEqualTo(7);
    }

    @Test
    void shouldWriteErrorsInEachDialectsShape() throws Exception {
        provider.reply(Reply.error(429).header("Retry-After", "2"));
        HttpResponse<String> openai = post("/v1/chat/completions", "{}");
        assertThat(openai.statusCode()).isEqualTo(429);
        assertThat(openai.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(json(openai).at("/error/type").asText()).isEqualTo("rate_limit_error");

        provider.reply(Reply.error(529));
        HttpResponse<String> anthropic = post("/v1/messages", "{}");
        assertThat(anthropic.statusCode()).isEqualTo(529);
        assertThat(json(anthropic).path("type").asText()).isEqualTo("error");
        assertThat(json(anthropic).at("/error/type").asText()).isEqualTo("overloaded_error");

        provider.reply(Reply.error(400, "INVALID_ARGUMENT", "API key not valid"));
        HttpResponse<String> gemini = post("/v1beta/models/g:generateContent", "{}");
        assertThat(json(gemini).at("/error/code").asInt()).isEqualTo(400);
        assertThat(json(gemini).at("/error/status").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(json(gemini).at("/error/message").asText()).isEqualTo("API key not valid");
    }

    @Test
    void shouldAnswerEnqueuedRepliesFirstThenTheScript() throws Exception {
        provider.script(r -> r.text().contains("please fail") ? Reply.error(500) : Reply.ok());
        provider.enqueue(Reply.error(503), Reply.json(200, "{\"not\":\"a completion\"}"));
        String ok = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
        String fail = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"please fail\"}]}";
        assertThat(post("/v1/chat/completions", ok).statusCode()).isEqualTo(503);
        assertThat(post("/v1/chat/completions", ok).body()).isEqualTo("{\"not\":\"a completion\"}");
        assertThat(post("/v1/chat/completions", ok).statusCode()).isEqualTo(200);
        assertThat(post("/v1/chat/completions", fail).statusCode()).isEqualTo(500);
        assertThat(provider.requests()).extracting(Request::status).containsExactly(503, 200, 200, 500);
    }

    @Test
    void shouldCutTheConnectionWithoutAnAnswer() {
        provider.reply(Reply.cut());
        assertThatThrownBy(() -> post("/v1/chat/completions", "{}")).isInstanceOf(IOException.class);
        assertThat(provider.requests()).extracting(Request::status).containsExactly(Request.NO_ANSWER);
    }

    @Test
    void shouldResetTheConnectionWithoutAnAnswer() {
        provider.reply(Reply.reset());
        assertThatThrownBy(() -> post("/v1/chat/completions", "{}"))
                .isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(org.assertj.core.util.Throwables.getRootCause(e))
                        .hasMessageContainingAll("reset"));
    }

    @Test
    void shouldCutATruncatedBodyShort() {
        provider.reply(Reply.truncated());
        assertThatThrownBy(() -> post("/v1/chat/completions", "{}")).isInstanceOf(IOException.class);
    }

    @Test
    void shouldDelayAnswersAndCountConcurrentCalls() throws Exception {
        provider.reply(Reply.ok().after(Duration.ofMillis(300))).latency(Duration.ofMillis(100));
        long t0 = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(client.sendAsync(
                    HttpRequest.newBuilder(URI.create(provider.baseUrl() + "/v1/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString("{}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        calls.forEach(c -> assertThat(c.join().statusCode()).isEqualTo(200));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(provider.maxConcurrent()).isGreaterThan(1);
        assertThat(provider.count()).isEqualTo(20);
        assertThat(provider.concurrent()).isZero();
    }

    @Test
    void shouldTimeOutTheClientOnAHang() {
        provider.reply(Reply.hang());
        assertThatThrownBy(() -> client.send(
                        HttpRequest.newBuilder(URI.create(provider.baseUrl() + "/v1/messages"))
                                .timeout(Duration.ofMillis(300))
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.net.http.HttpTimeoutException.class);
    }

    @Test
    void shouldServeAnAddedRouteWithItsOwnHandler() throws Exception {
        provider.route(new Route(
                "GET",
                "/v1/batches/{id}",
                Dialect.OPENAI,
                r -> Reply.json(200, "{\"id\":\"" + r.pathParam("id") + "\",\"status\":\"completed\"}")));
        HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(URI.create(provider.baseUrl() + "/v1/batches/b1"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json(r).path("status").asText()).isEqualTo("completed");
        assertThat(post("/v1/nothing-here", "{}").statusCode()).isEqualTo(404);
        assertThat(provider.routes().get(0).template()).isEqualTo("/v1/batches/{id}");
    }

    @Test
    void shouldStreamEventsAndCutAStreamMidway() throws Exception {
        Reply.Responder events = (request, exchange) -> {
            OutputStream out = exchange.startEventStream(200);
            out.write("data: {\"delta\":\"Hel\"}\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (request.text().contains("cut")) {
                exchange.cut();
                return;
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        };
        provider.reply(Reply.respond(events));
        HttpResponse<String> whole =
                post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}");
        assertThat(whole.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        assertThat(whole.body()).isEqualTo("data: {\"delta\":\"Hel\"}\n\ndata: [DONE]\n\n");

        assertThatThrownBy(
                        () -> post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"cut\"}]}"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void shouldOnlyCountWhenRecordingIsOff() throws Exception {
        provider.recording(false);
        post("/v1/chat/completions", "{}");
        assertThat(provider.requests()).isEmpty();
        assertThat(provider.count()).isEqualTo(1);
    }
}
