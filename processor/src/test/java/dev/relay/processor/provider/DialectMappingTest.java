package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.compat.CompatDialect;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.WireRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Mapping details the contract suite does not reach: pure functions, no HTTP. */
class DialectMappingTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Dialect dialect(String type, String extra) {
        String json = "{\"providers\": {\"p\": {\"type\": \"" + type + "\", \"network_config\": {\"base_url\": "
                + "\"https://example.invalid\"}" + extra + "}}}";
        ProviderConfig c = new ConfigLoader(n -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("p");
        return ProviderClients.dialect(c);
    }

    static JsonNode wireBody(Dialect d, String request) throws Exception {
        WireRequest w = d.toWire(
                new ChatCall(
                        "j",
                        "m-1",
                        ContractRequests.parse(request),
                        Optional.of(Secret.literal("k")),
                        "k1",
                        Instant.now().plusSeconds(5)),
                "k");
        return JSON.readTree(w.body());
    }

    static AttemptOutcome answer(Dialect d, String body) {
        return d.fromWire(body.getBytes(StandardCharsets.UTF_8), 200);
    }

    @Test
    void shouldAppendVersionPathOnlyWhenBaseUrlHasNone() {
        assertThat(CompatDialect.path(URI.create("https://api.groq.com/openai/v1")))
                .isEqualTo("/chat/completions");
        assertThat(CompatDialect.path(URI.create("https://api.groq.com/openai/v1/")))
                .isEqualTo("/chat/completions");
        assertThat(CompatDialect.path(URI.create("https://host/v1beta"))).isEqualTo("/chat/completions");
        assertThat(CompatDialect.path(URI.create("https://api.mistral.ai"))).isEqualTo("/v1/chat/completions");
        assertThat(CompatDialect.path(URI.create("http://localhost:11434/"))).isEqualTo("/v1/chat/completions");
        assertThat(CompatDialect.path(URI.create("https://host/v1x-proxy/api"))).isEqualTo("/v1/chat/completions");
    }

    @Test
    void shouldMapNamedToolChoiceAndImageUrlForAnthropicAndGemini() throws Exception {
        String request = """
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/cat.png"}}]}],
                 "max_completion_tokens": 99, "stop": "END",
                 "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
                 "tool_choice": {"type": "function", "function": {"name": "f"}}}""";
        JsonNode a = wireBody(dialect("anthropic", ", \"default_max_tokens\": 1000"), request);
        assertThat(a.path("max_tokens").asInt()).isEqualTo(99);
        assertThat(a.at("/stop_sequences/0").asText()).isEqualTo("END");
        assertThat(a.at("/messages/0/content/0/source/type").asText()).isEqualTo("url");
        assertThat(a.at("/messages/0/content/0/source/url").asText()).isEqualTo("https://x/cat.png");
        assertThat(a.path("tool_choice").toString()).isEqualTo("{\"type\":\"tool\",\"name\":\"f\"}");
        JsonNode g = wireBody(dialect("gemini", ""), request);
        assertThat(g.at("/contents/0/parts/0/fileData/fileUri").asText()).isEqualTo("https://x/cat.png");
        assertThat(g.at("/toolConfig/functionCallingConfig/mode").asText()).isEqualTo("ANY");
        assertThat(g.at("/toolConfig/functionCallingConfig/allowedFunctionNames/0")
                        .asText())
                .isEqualTo("f");
        assertThat(g.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(99);
    }

    @Test
    void shouldDefaultAnthropicMaxTokensFromOption() throws Exception {
        JsonNode a = wireBody(
                dialect("anthropic", ", \"default_max_tokens\": 1000"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertThat(a.path("max_tokens").asInt()).isEqualTo(1000);
        assertThat(a.has("system")).isFalse();
    }

    @Test
    void shouldKeepFilteredContentAsSuccessWithContentFilterFinishReason() {
        AttemptOutcome o = answer(dialect("openai", ""), """
                {"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,
                 "message":{"role":"assistant","content":"partial answer"},"finish_reason":"content_filter"}]}""");
        assertThat(o)
                .isInstanceOfSatisfying(
                        AttemptOutcome.Success.class,
                        s -> assertThat(s.completion()
                                        .at("/choices/0/finish_reason")
                                        .asText())
                                .isEqualTo("content_filter"));
        AttemptOutcome g = answer(dialect("gemini", ""), """
                {"candidates":[{"content":{"parts":[{"text":"part"}],"role":"model"},"finishReason":"SAFETY"}]}""");
        assertThat(g)
                .isInstanceOfSatisfying(
                        AttemptOutcome.Success.class,
                        s -> assertThat(s.completion()
                                        .at("/choices/0/finish_reason")
                                        .asText())
                                .isEqualTo("content_filter"));
    }

    @Test
    void shouldTreatOpenRouterErrorInsideOkBodyAsFailure() {
        AttemptOutcome o =
                answer(dialect("openrouter", ""), "{\"error\":{\"code\":502,\"message\":\"Provider returned error\"}}");
        assertThat(o)
                .isInstanceOfSatisfying(
                        AttemptOutcome.Failure.class,
                        f -> assertThat(f.failureClass()).isEqualTo(FailureClass.TRANSIENT));
    }

    @Test
    void shouldMapAnthropicMaxTokensStopAndCacheUsage() {
        AttemptOutcome o = answer(dialect("anthropic", ""), """
                {"id":"m","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"abc"}],
                 "stop_reason":"max_tokens","usage":{"input_tokens":10,"cache_creation_input_tokens":5,
                 "cache_read_input_tokens":3,"output_tokens":7}}""");
        assertThat(o).isInstanceOfSatisfying(AttemptOutcome.Success.class, s -> {
            assertThat(s.completion().at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(s.usage().promptTokens()).isEqualTo(18);
            assertThat(s.usage().totalTokens()).isEqualTo(25);
        });
    }

    @Test
    void shouldRemoveGatewayFieldsFromOpenAiBody() throws Exception {
        JsonNode b = wireBody(dialect("openai", ""), """
                {"model": "x", "fallbacks": ["a/b"], "stream": true, "callback_url": "https://cb",
                 "messages": [{"role": "user", "content": "hi"}]}""");
        assertThat(b.path("model").asText()).isEqualTo("m-1");
        assertThat(b.has("fallbacks")).isFalse();
        assertThat(b.has("stream")).isFalse();
        assertThat(b.has("callback_url")).isFalse();
    }
}
