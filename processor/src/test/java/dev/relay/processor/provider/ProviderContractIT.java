package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.AttemptOutcome.Success;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.RelayVersion;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.Request;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The one contract every HTTP adapter passes: a real local HTTP server (the test kit's {@link FakeProvider}) answers
 * in the provider's own
 * formats, from the fixture file {@code providers/<provider>.json} (each fixture cites its source); every case checks
 * the failure class and the exact request on the wire (path, headers, body).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProviderContractIT {

    static final String KEY = "sk-relay-contract-KEY-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();

    FakeProvider server;
    ProviderClient client;
    JsonNode fixtures;

    /** Fixture file name under {@code providers/}. */
    abstract String fixtureFile();

    /** The provider's config entry (JSON); {@code %s} is replaced by the server's base URL. */
    abstract String providerJson();

    abstract String model();

    /** The path and query the adapter must call. */
    abstract String expectedUrl();

    /** Provider-specific headers (auth, version) the request must carry. */
    abstract Map<String, String> expectedHeaders();

    /** Checks the wire body of {@link ContractRequests#TEXT}. */
    abstract void assertTextBody(JsonNode body);

    abstract void assertToolBody(JsonNode body);

    abstract void assertJsonModeBody(JsonNode body);

    @BeforeAll
    void startServer() throws IOException {
        server = FakeProvider.start();
        try (InputStream in = getClass().getResourceAsStream("/providers/" + fixtureFile())) {
            fixtures = JSON.readTree(in).get("cases");
        }
        String json = "{\"providers\": {\"p\": " + providerJson().formatted(server.baseUrl()) + "}}";
        ProviderConfig config = new ConfigLoader(name -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("p");
        client = ProviderClients.create(config);
    }

    @AfterAll
    void stopServer() {
        client.close();
        server.close();
    }

    @BeforeEach
    @AfterEach
    void reset() {
        server.clearRequests();
        server.reply(Reply.error(500, "server_error", "no answer scripted for this test"));
    }

    // ---------------------------------------------------------------- successes

    @Test
    void shouldMapTextAnswerWhenProviderSucceeds() throws Exception {
        Success s = success("success_text", ContractRequests.TEXT);
        assertThat(s.completion().path("object").asText()).isEqualTo("chat.completion");
        JsonNode choice = s.completion().path("choices").get(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isNotBlank();
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(s.usage().promptTokens()).isPositive();
        assertThat(s.usage().completionTokens()).isPositive();
        assertThat(s.usage().totalTokens())
                .isEqualTo(s.usage().promptTokens() + s.usage().completionTokens());
        assertTextBody(onlyRequestBody());
    }

    @Test
    void shouldMapToolCallWithJsonStringArgumentsWhenProviderCallsATool() throws Exception {
        Success s = success("success_tool_call", ContractRequests.TOOL);
        JsonNode choice = s.completion().path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode call = choice.path("message").path("tool_calls").get(0);
        assertThat(call.path("type").asText()).isEqualTo("function");
        assertThat(call.path("id").asText()).isNotBlank();
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(call.path("function").path("arguments").isTextual())
                .as("arguments are a JSON string")
                .isTrue();
        assertThat(JSON.readTree(call.path("function").path("arguments").asText())
                        .path("city")
                        .asText())
                .isEqualTo("Rome");
        assertToolBody(onlyRequestBody());
    }

    @Test
    void shouldReturnJsonContentWhenJsonModeIsRequested() throws Exception {
        Success s = success("success_json", ContractRequests.JSON_MODE);
        String content = s.completion()
                .path("choices")
                .get(0)
                .path("message")
                .path("content")
                .asText();
        assertThat(JSON.readTree(content).path("answer").asText()).isEqualTo("Paris");
        assertJsonModeBody(onlyRequestBody());
    }

    // ---------------------------------------------------------------- HTTP errors

    @Test
    void shouldClassifyBadRequestAsInvalidRequest() throws Exception {
        expectFailure("invalid_request", FailureClass.INVALID_REQUEST);
    }

    @Test
    void shouldClassifyUnauthorizedAsAuth() throws Exception {
        expectFailure("unauthorized", FailureClass.AUTH);
    }

    @Test
    void shouldClassifyForbiddenAsAuth() throws Exception {
        expectFailure("forbidden", FailureClass.AUTH);
    }

    @Test
    void shouldClassifyUnknownModelAsModelUnavailable() throws Exception {
        expectFailure("model_not_found", FailureClass.MODEL_UNAVAILABLE);
    }

    @Test
    void shouldClassifyRateLimitAndParseRetryAfter() throws Exception {
        Failure f = expectFailure("rate_limited", FailureClass.RATE_LIMITED);
        assertThat(f.retryAfter()).contains(Duration.ofSeconds(7));
    }

    @Test
    void shouldClassifyServerErrorAsTransient() throws Exception {
        expectFailure("server_error", FailureClass.TRANSIENT);
    }

    @Test
    void shouldClassifyServiceUnavailableAsTransient() throws Exception {
        expectFailure("unavailable", FailureClass.TRANSIENT);
    }

    @Test
    void shouldClassifyOverloadedAsTransient() throws Exception {
        assumeTrue(fixtures.has("overloaded"), "only Anthropic sends 529 overloaded");
        expectFailure("overloaded", FailureClass.TRANSIENT);
    }

    @Test
    void shouldClassifyContextLengthExceeded() throws Exception {
        expectFailure("context_length", FailureClass.CONTEXT_LENGTH);
    }

    @Test
    void shouldClassifyContentFilterErrorBody() throws Exception {
        assumeTrue(
                fixtures.has("content_filter_error"),
                fixtures.path("content_filter_error_absent").asText());
        expectFailure("content_filter_error", FailureClass.CONTENT_FILTERED);
    }

    @Test
    void shouldClassifyContentFilterFinishReasonWithoutContent() throws Exception {
        assumeTrue(
                fixtures.has("content_filter_finish"),
                fixtures.path("content_filter_finish_absent").asText());
        expectFailure("content_filter_finish", FailureClass.CONTENT_FILTERED);
    }

    // ---------------------------------------------------------------- transport failures

    @Test
    void shouldClassifyNoAnswerWithinDeadlineAsTimeout() throws Exception {
        server.reply(fixtureResponse("success_text").after(Duration.ofMillis(3000)));
        AttemptOutcome o = call(ContractRequests.TEXT, Instant.now().plusMillis(300));
        assertThat(o).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT);
            assertThat(f.httpStatus()).isEmpty();
        });
        assertTextBody(onlyRequestBody());
    }

    @Test
    void shouldClassifyConnectionResetAsNetwork() throws Exception {
        server.reply(Reply.reset());
        assertThat(call(ContractRequests.TEXT))
                .isInstanceOfSatisfying(
                        Failure.class, f -> assertThat(f.failureClass()).isEqualTo(FailureClass.NETWORK));
        assertTextBody(onlyRequestBody());
    }

    @Test
    void shouldClassifyCutOffBodyAsTruncated() throws Exception {
        String whole = bodyText(fixtures.get("success_text"));
        server.reply(Reply.json(200, whole.substring(0, whole.length() / 2)));
        expectClass(call(ContractRequests.TEXT), FailureClass.TRUNCATED);
        assertTextBody(onlyRequestBody());
    }

    @Test
    void shouldClassifyNonJsonOkBodyAsTruncated() throws Exception {
        server.reply(
                Reply.json(200, "<html><body>502 Bad Gateway</body></html>").header("Content-Type", "text/html"));
        expectClass(call(ContractRequests.TEXT), FailureClass.TRUNCATED);
        assertTextBody(onlyRequestBody());
    }

    @Test
    void shouldReportAuthWithoutCallingWhenNoKeyIsConfigured() throws Exception {
        respond("success_text");
        AttemptOutcome o = client.call(new ChatCall(
                        "job-1",
                        model(),
                        ContractRequests.parse(ContractRequests.TEXT),
                        Optional.empty(),
                        "missing",
                        Instant.now().plusSeconds(10)))
                .get(5, TimeUnit.SECONDS);
        expectClass(o, FailureClass.AUTH);
        assertThat(server.requests()).isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    Failure expectFailure(String fixture, FailureClass expected) throws Exception {
        respond(fixture);
        AttemptOutcome o = call(ContractRequests.TEXT);
        Failure f = expectClass(o, expected);
        int status = fixtures.get(fixture).path("status").asInt();
        assertThat(f.httpStatus().getAsInt()).isEqualTo(status);
        assertThat(f.message()).isNotBlank().doesNotContain(KEY);
        assertTextBody(onlyRequestBody());
        return f;
    }

    static Failure expectClass(AttemptOutcome o, FailureClass expected) {
        assertThat(o).isInstanceOf(Failure.class);
        Failure f = (Failure) o;
        assertThat(f.failureClass()).as("class of %s", f).isEqualTo(expected);
        return f;
    }

    /** Serves {@code fixture} and sends {@code request}, expecting a success. */
    Success success(String fixture, String request) throws Exception {
        respond(fixture);
        AttemptOutcome o = call(request);
        assertThat(o).as("outcome %s", o).isInstanceOf(Success.class);
        return (Success) o;
    }

    AttemptOutcome call(String request) throws Exception {
        return call(request, Instant.now().plusSeconds(10));
    }

    AttemptOutcome call(String request, Instant deadline) throws Exception {
        ObjectNode body = ContractRequests.parse(request);
        return client.call(new ChatCall("job-1", model(), body, Optional.of(Secret.literal(KEY)), "k1", deadline))
                .get(10, TimeUnit.SECONDS);
    }

    Reply respond(String fixture) {
        Reply r = fixtureResponse(fixture);
        server.reply(r);
        return r;
    }

    Reply fixtureResponse(String fixture) {
        JsonNode f = fixtures.get(fixture);
        assertThat(f).as("fixture %s in %s", fixture, fixtureFile()).isNotNull();
        assertThat(f.path("source").asText())
                .as("fixture %s cites its source", fixture)
                .contains("https://");
        Reply r = Reply.json(f.path("status").asInt(200), bodyText(f)).header("Content-Type", "application/json");
        for (var h : f.path("headers").properties()) {
            r = r.header(h.getKey(), h.getValue().asText());
        }
        return r;
    }

    static String bodyText(JsonNode fixture) {
        JsonNode b = fixture.get("body");
        return b.isTextual() ? b.asText() : b.toString();
    }

    /** The one request the server received; checks URL and headers, returns the parsed body. */
    JsonNode onlyRequestBody() throws IOException {
        List<Request> requests = server.requests();
        assertThat(requests).hasSize(1);
        Request r = requests.get(0);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path() + (r.query().isEmpty() ? "" : "?" + r.query())).isEqualTo(expectedUrl());
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.header("User-Agent")).isEqualTo(RelayVersion.userAgent()).matches("Relay/\\d+\\.\\d+\\.\\d+.*");
        assertThat(r.header("X-Relay-Test")).isEqualTo("contract");
        expectedHeaders()
                .forEach((k, v) -> assertThat(r.header(k)).as("header %s", k).isEqualTo(v));
        return JSON.readTree(r.body());
    }
}
