package dev.relay.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.relay.ingress.InMemoryBackend;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.TestConfigs;
import dev.relay.ingress.TestResults;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, pointed at the ingress through baseUrl, as any application would. */
class OpenAiSdkTest {

    private static RelayIngress ingress;

    @BeforeAll
    static void start() {
        InMemoryBackend backend = new InMemoryBackend()
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

    private static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + ingress.port() + "/v1")
                .apiKey(key)
                .maxRetries(0)
                .build();
    }

    private static ChatCompletionCreateParams params(String text) {
        return ChatCompletionCreateParams.builder()
                .model("openai/gpt-4o-mini")
                .addUserMessage(text)
                .putAdditionalBodyProperty("fallbacks", JsonValue.from(List.of("anthropic/claude-3-5-haiku")))
                .build();
    }

    @Test
    void shouldGetANormalCompletionThroughTheSdk() {
        ChatCompletion completion =
                client(TestConfigs.API_KEY).chat().completions().create(params("hi"));

        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).contains("hello from anthropic");
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(5);
        @SuppressWarnings("unchecked")
        Map<String, Object> extra = (Map<String, Object>)
                completion._additionalProperties().get("extra_fields").convert(Map.class);
        assertThat(extra).containsEntry("provider", "anthropic").containsEntry("fallback_index", 1);
    }

    @Test
    void shouldSurfaceThePrimarysStatusAsTheSdksTypedError() {
        assertThatThrownBy(
                        () -> client(TestConfigs.API_KEY).chat().completions().create(params("fail")))
                .isInstanceOf(RateLimitException.class)
                .hasMessageContaining("primary says slow down");
    }

    @Test
    void shouldSurfaceAWrongKeyAsUnauthorized() {
        assertThatThrownBy(() -> client("sk-wrong").chat().completions().create(params("hi")))
                .isInstanceOf(UnauthorizedException.class);
    }
}
