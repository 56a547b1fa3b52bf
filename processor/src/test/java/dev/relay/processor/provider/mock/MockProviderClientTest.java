package dev.relay.processor.provider.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.factory.ProviderClients;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MockProviderClientTest {

    private static final String REQUEST = """
            {"messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "first"},
              {"role": "assistant", "content": "ok"}, {"role": "user", "content": "hello relay"}]}""";

    static ProviderConfig config(String providerJson) {
        return new ConfigLoader(name -> Optional.empty())
                .parse("{\"providers\": {\"mock\": " + providerJson + "}}", "test")
                .providers()
                .get("mock");
    }

    static ChatCall call(String model) throws Exception {
        return new ChatCall(
                "job-1",
                model,
                (ObjectNode) new ObjectMapper().readTree(REQUEST),
                Optional.empty(),
                "none",
                Instant.now().plusSeconds(5));
    }

    @Test
    void shouldEchoLastUserMessageWithoutAKeyWhenModelIsEcho() throws Exception {
        try (ProviderClient client = ProviderClients.create(config("{\"type\": \"mock\"}"))) {
            AttemptOutcome o = client.call(call("echo")).get(5, TimeUnit.SECONDS);
            assertThat(o).isInstanceOfSatisfying(AttemptOutcome.Success.class, s -> {
                assertThat(s.completion().at("/choices/0/message/content").asText())
                        .isEqualTo("hello relay");
                assertThat(s.completion().at("/choices/0/finish_reason").asText())
                        .isEqualTo("stop");
                assertThat(s.completion().path("model").asText()).isEqualTo("echo");
                assertThat(s.usage().promptTokens()).isPositive();
                assertThat(s.usage().totalTokens())
                        .isEqualTo(s.usage().promptTokens() + s.usage().completionTokens());
            });
        }
    }

    @Test
    void shouldAnswerCannedReplyForOtherModels() throws Exception {
        try (ProviderClient client = ProviderClients.create(config("{\"reply\": \"canned answer\"}"))) {
            AttemptOutcome o = client.call(call("fast")).get(5, TimeUnit.SECONDS);
            assertThat(((AttemptOutcome.Success) o)
                            .completion()
                            .at("/choices/0/message/content")
                            .asText())
                    .isEqualTo("canned answer");
        }
    }

    @Test
    void shouldNotCompleteBeforeConfiguredLatencyAndCancelCleanly() throws Exception {
        try (ProviderClient client = ProviderClients.create(config("{\"latency\": \"10s\"}"))) {
            CompletableFuture<AttemptOutcome> f = client.call(call("echo"));
            assertThat(f).isNotDone();
            assertThat(f.cancel(true)).isTrue();
            assertThat(f).isCancelled();
        }
    }

    @Test
    void shouldReadUniformLatencyBounds() {
        assertThat(MockProviderClient.millis("250ms", 0)).isEqualTo(250);
        assertThat(MockProviderClient.millis("2s", 0)).isEqualTo(2000);
        assertThat(MockProviderClient.millis("40", 0)).isEqualTo(40);
        assertThat(MockProviderClient.millis(null, 7)).isEqualTo(7);
        assertThatThrownBy(() -> MockProviderClient.millis("soon", 0)).hasMessageContaining("soon");
    }
}
