package dev.relay.processor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.factory.ProviderClients;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mocker in front of the built-in mock provider, wired as the processor wires it (ProviderClients + wrap). */
class MockerWithMockProviderTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private static ChatCall call(String text) {
        ObjectNode request = new ObjectMapper().createObjectNode().put("model", "echo");
        request.putArray("messages").addObject().put("role", "user").put("content", text);
        return new ChatCall(
                "job-7",
                "echo",
                request,
                Optional.empty(),
                "none",
                Instant.now().plusSeconds(30));
    }

    @Test
    void shouldInjectOnMatchingPromptsAndLetTheMockProviderAnswerTheRest() throws Exception {
        RelayConfig config = MockerConfigs.withMocker("""
                {"rules": [{"name": "mock-down", "conditions": {"providers": ["mock"], "message_regex": "^fail"},
                  "responses": [{"type": "error", "error": {"message": "upstream down", "status_code": 502}}]}]}""");
        ProviderClient client = FaultInjectingProviderClient.wrap(
                ProviderClients.create(config.provider("mock").orElseThrow()),
                FaultRules.from(config),
                new SplittableRandom(1),
                timer,
                meters);

        AttemptOutcome failed = client.call(call("fail this one")).get(5, TimeUnit.SECONDS);
        AttemptOutcome echoed = client.call(call("hello relay")).get(5, TimeUnit.SECONDS);

        assertThat(failed)
                .isInstanceOfSatisfying(
                        AttemptOutcome.Failure.class,
                        f -> assertThat(f.failureClass()).isEqualTo(FailureClass.TRANSIENT));
        assertThat(echoed)
                .isInstanceOfSatisfying(
                        AttemptOutcome.Success.class,
                        s -> assertThat(s.completion()
                                        .at("/choices/0/message/content")
                                        .asText())
                                .contains("hello relay"));
        assertThat(meters.get(FaultInjectingProviderClient.INJECTED_COUNTER)
                        .tag("provider", "mock")
                        .tag("rule", "mock-down")
                        .tag("kind", "error")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldNotWrapWhenThereAreNoRules() {
        RelayConfig config = MockerConfigs.withPlugins("[]");
        ProviderClient real = ProviderClients.create(config.provider("mock").orElseThrow());
        assertThat(FaultInjectingProviderClient.wrap(
                        real, FaultRules.from(config), new SplittableRandom(1), timer, meters))
                .isSameAs(real);
    }
}
