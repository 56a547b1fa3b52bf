package dev.relay.processor.fault;

import static dev.relay.processor.fault.MockerConfigs.rules;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultInjectingProviderClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final RecordingProvider real = new RecordingProvider("openai");

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    /** A trivial provider: answers every call with a fixed success, or never, and remembers the calls. */
    static final class RecordingProvider implements ProviderClient {
        final String name;
        final List<ChatCall> calls = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<AttemptOutcome>> futures = new CopyOnWriteArrayList<>();
        volatile boolean answer = true;

        RecordingProvider(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<AttemptOutcome> call(ChatCall call) {
            calls.add(call);
            CompletableFuture<AttemptOutcome> f = new CompletableFuture<>();
            if (answer) {
                f.complete(new AttemptOutcome.Success(
                        JSON.createObjectNode().put("object", "chat.completion").put("real", true),
                        200,
                        AttemptOutcome.Usage.NONE));
            }
            futures.add(f);
            return f;
        }
    }

    static ChatCall call(String model, String text, Duration timeout) {
        ObjectNode request = JSON.createObjectNode().put("model", model);
        request.putArray("messages").addObject().put("role", "user").put("content", text);
        return new ChatCall(
                "job-1", model, request, Optional.empty(), "k1", Instant.now().plus(timeout));
    }

    private FaultInjectingProviderClient client(String mockerConfig) {
        return new FaultInjectingProviderClient(real, rules(mockerConfig), new SplittableRandom(1), timer);
    }

    @Test
    void shouldPassThroughWhenNoRuleMatches() throws Exception {
        var client = client("""
                {"rules": [{"name": "r", "conditions": {"message_regex": "fail"},
                  "responses": [{"type": "error", "error": {"message": "x", "status_code": 500}}]}]}""");
        AttemptOutcome o =
                client.call(call("gpt-4o", "hello", Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS);
        assertThat(o)
                .isInstanceOfSatisfying(
                        AttemptOutcome.Success.class,
                        s -> assertThat(s.completion().path("real").asBoolean()).isTrue());
        assertThat(real.calls).hasSize(1);
        assertThat(client.name()).isEqualTo("openai");
    }

    @Test
    void shouldAnswerACannedErrorWithoutCallingTheProvider() throws Exception {
        var client = client("""
                {"rules": [{"name": "down", "responses": [{"type": "error", "allow_fallbacks": false,
                  "error": {"message": "Service Unavailable", "type": "server_error", "status_code": 503}}]}]}""");
        AttemptOutcome o =
                client.call(call("gpt-4o", "hi", Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS);
        assertThat(o).isInstanceOfSatisfying(AttemptOutcome.Failure.class, f -> {
            assertThat(f.failureClass()).isEqualTo(FailureClass.TRANSIENT);
            assertThat(f.httpStatus()).hasValue(503);
            assertThat(f.allowFallbacks()).isFalse();
        });
        assertThat(real.calls).isEmpty();
    }

    /** Runs the one task waiting on the timer now, as if its delay had passed (no sleeping in tests). */
    private void fireTimer() {
        assertThat(timer.getQueue()).hasSize(1);
        Runnable task = timer.getQueue().peek();
        assertThat(timer.getQueue().remove(task)).isTrue();
        task.run();
    }

    @Test
    void shouldDelayTheCannedOutcomeOnTheTimerWithoutBlocking() throws Exception {
        var client = client("""
                {"rules": [{"name": "slow-ok", "latency": {"type": "fixed", "min": "10m"},
                  "responses": [{"type": "success", "content": {"message": "canned"}}]}]}""");
        CompletableFuture<AttemptOutcome> f = client.call(call("gpt-4o", "hi", Duration.ofHours(1)));
        assertThat(f)
                .as("call() returns before the injected latency has passed")
                .isNotDone();
        assertThat(((java.util.concurrent.Delayed) timer.getQueue().peek()).getDelay(TimeUnit.SECONDS))
                .isBetween(590L, 600L);
        fireTimer();
        AttemptOutcome o = f.get(5, TimeUnit.SECONDS);
        assertThat(((AttemptOutcome.Success) o)
                        .completion()
                        .at("/choices/0/message/content")
                        .asText())
                .isEqualTo("canned");
        assertThat(real.calls).isEmpty();
    }

    @Test
    void shouldCallTheRealProviderAfterALatencyOnlyRule() throws Exception {
        var client = client("{\"rules\": [{\"name\": \"lag\", \"latency\": {\"type\": \"fixed\", \"min\": \"10m\"}}]}");
        CompletableFuture<AttemptOutcome> f = client.call(call("gpt-4o", "hi", Duration.ofHours(1)));
        assertThat(f).isNotDone();
        assertThat(real.calls).isEmpty();
        fireTimer();
        assertThat(f.get(5, TimeUnit.SECONDS)).isInstanceOf(AttemptOutcome.Success.class);
        assertThat(real.calls).hasSize(1);
    }

    @Test
    void shouldTimeOutAtTheDeadlineWhenTheInjectedLatencyIsLonger() throws Exception {
        var client = client("""
                {"rules": [{"name": "hang", "latency": {"type": "fixed", "min": "1h"},
                  "responses": [{"type": "success", "content": {"message": "too late"}}]}]}""");
        AttemptOutcome o =
                client.call(call("gpt-4o", "hi", Duration.ofMillis(100))).get(5, TimeUnit.SECONDS);
        assertThat(o).isInstanceOfSatisfying(AttemptOutcome.Failure.class, f -> {
            assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT);
            assertThat(f.httpStatus()).isEmpty();
            assertThat(f.message()).contains("hang");
        });
        assertThat(real.calls).isEmpty();
    }

    @Test
    void shouldCancelThePendingTimerTaskWhenTheCallIsCancelled() {
        timer.setRemoveOnCancelPolicy(true);
        var client = client("{\"rules\": [{\"name\": \"lag\", \"latency\": {\"type\": \"fixed\", \"min\": \"10m\"}}]}");
        CompletableFuture<AttemptOutcome> f = client.call(call("gpt-4o", "hi", Duration.ofHours(1)));
        assertThat(timer.getQueue()).hasSize(1);
        f.cancel(true);
        assertThat(timer.getQueue()).isEmpty();
        assertThat(real.calls).isEmpty();
    }

    @Test
    void shouldCancelTheRealCallWhenCancelledAfterTheLatency() {
        real.answer = false;
        var client = client("{\"rules\": [{\"name\": \"lag\", \"latency\": {\"type\": \"fixed\", \"min\": \"10m\"}}]}");
        CompletableFuture<AttemptOutcome> f = client.call(call("gpt-4o", "hi", Duration.ofHours(1)));
        fireTimer();
        assertThat(real.calls).hasSize(1);
        f.cancel(true);
        assertThat(real.futures.getFirst()).isCancelled();
    }

    @Test
    void shouldInjectOnlyWhereTheRuleSaysAndKeepTheRestReal() throws Exception {
        var client = client("""
                {"rules": [{"name": "flaky", "probability": 0.3,
                  "responses": [{"type": "error", "error": {"message": "x", "status_code": 500}}]}]}""");
        int failures = 0;
        for (int i = 0; i < 1000; i++) {
            AttemptOutcome o =
                    client.call(call("gpt-4o", "hi", Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS);
            failures += o instanceof AttemptOutcome.Failure ? 1 : 0;
        }
        assertThat(failures + real.calls.size()).isEqualTo(1000);
        assertThat(failures).isBetween(250, 350);
    }

    @Test
    void shouldFailTheCallInsteadOfThrowingWhenTheTimerIsShutDown() {
        ScheduledExecutorService stopped = Executors.newSingleThreadScheduledExecutor();
        stopped.shutdown();
        var client = new FaultInjectingProviderClient(
                real,
                rules("{\"rules\": [{\"name\": \"lag\", \"latency\": {\"type\": \"fixed\", \"min\": \"10ms\"}}]}"),
                new SplittableRandom(1),
                stopped);
        assertThat(client.call(call("gpt-4o", "hi", Duration.ofSeconds(5)))).isCompletedExceptionally();
    }
}
