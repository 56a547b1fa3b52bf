package dev.relay.processor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.attempt.Verdict;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.routing.CircuitBreakers;
import dev.relay.processor.routing.KeySelector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worked example of docs/policy.md, run through the policy pieces together (mocker, retry policy, key selector,
 * circuit breakers) by a tiny in-test chain loop; the Kafka topology is not involved. Retry waits are decided but not
 * slept.
 */
class OutageRehearsalTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** Answers every call at once with a success naming the provider. */
    record Healthy(String name) implements ProviderClient {
        @Override
        public CompletableFuture<AttemptOutcome> call(ChatCall call) {
            ObjectNode c =
                    JSON.createObjectNode().put("object", "chat.completion").put("served_by", name);
            return CompletableFuture.completedFuture(new AttemptOutcome.Success(c, 200, AttemptOutcome.Usage.NONE));
        }
    }

    record Result(boolean ok, int fallbackIndex, int primaryAttempts, AttemptOutcome.Failure primaryError) {}

    private final class Chain {
        final RelayConfig config;
        final RetryPolicy policy;
        final KeySelector keys;
        final CircuitBreakers breakers;
        final Map<String, ProviderClient> clients;
        final SplittableRandom random = new SplittableRandom(2026);

        Chain(String mockerRules, String circuitBreaker) {
            config = new ConfigLoader(name -> Optional.empty()).parse("""
                    {"providers": {
                       "openai": {"keys": [{"name": "main", "value": "sk-1"}],
                                  "network_config": {"max_retries": 1}},
                       "anthropic": {"keys": [{"name": "main", "value": "sk-2"}]}},
                     "circuit_breaker": %s,
                     "plugins": [{"name": "mocker", "config": %s}]}""".formatted(circuitBreaker, mockerRules), "t");
            policy = RetryPolicy.from(config.fallbackPolicy());
            keys = new KeySelector(random);
            breakers = new CircuitBreakers(config.circuitBreaker(), new SimpleMeterRegistry());
            FaultRules rules = FaultRules.from(config);
            clients = Map.of(
                    "openai", FaultInjectingProviderClient.wrap(new Healthy("openai"), rules, random, timer),
                    "anthropic", FaultInjectingProviderClient.wrap(new Healthy("anthropic"), rules, random, timer));
        }

        Result run(List<String> chain) throws Exception {
            int primaryAttempts = 0;
            AttemptOutcome.Failure primaryError = null;
            for (int hop = 0; hop < chain.size(); hop++) {
                String provider = chain.get(hop);
                ProviderConfig pc = config.provider(provider).orElseThrow();
                Set<String> excluded = new HashSet<>();
                boolean last = hop == chain.size() - 1;
                for (int attempt = 1; ; attempt++) {
                    if (!breakers.tryAcquire(provider, "m", attempt)) {
                        break; // SKIPPED_CIRCUIT_OPEN: next hop
                    }
                    String key = keys.choose(pc, "m", excluded).orElseThrow().name();
                    AttemptOutcome o = clients.get(provider).call(call()).get(5, TimeUnit.SECONDS);
                    primaryAttempts += hop == 0 ? 1 : 0;
                    if (o instanceof AttemptOutcome.Success) {
                        breakers.onSuccess(provider, "m", Duration.ofMillis(5));
                        return new Result(true, hop, primaryAttempts, primaryError);
                    }
                    var f = (AttemptOutcome.Failure) o;
                    primaryError = hop == 0 && primaryError == null ? f : primaryError;
                    breakers.onFailure(provider, "m", f.failureClass(), Duration.ofMillis(5));
                    Set<String> others = new HashSet<>(excluded);
                    others.add(key);
                    Verdict v = policy.decide(
                            f, attempt, pc.network(), KeySelector.hasUsableKey(pc, "m", others), last, random);
                    if (v instanceof Verdict.GiveUp) {
                        return new Result(false, hop, primaryAttempts, primaryError);
                    }
                    if (v instanceof Verdict.NextHop) {
                        break;
                    }
                    if (((Verdict.RetrySame) v).rotateKey()) {
                        excluded.add(key);
                    }
                }
            }
            return new Result(false, chain.size() - 1, primaryAttempts, primaryError);
        }
    }

    private static ChatCall call() {
        ObjectNode request = JSON.createObjectNode().put("model", "m");
        request.putArray("messages").addObject().put("role", "user").put("content", "What is the capital of France?");
        return new ChatCall(
                "job", "m", request, Optional.empty(), "main", Instant.now().plusSeconds(30));
    }

    private static final String BROWNOUT = """
            {"rules": [{"name": "openai-brownout", "probability": %s, "conditions": {"providers": ["openai"]},
              "responses": [
                {"type": "error", "weight": 4, "error": {"message": "Rate limit exceeded", "status_code": 429, "retry_after": 1}},
                {"type": "error", "weight": 3, "error": {"message": "Internal server error", "status_code": 500}},
                {"type": "error", "weight": 2, "error": {"message": "Service unavailable", "status_code": 503}}]}]}""";

    @Test
    void shouldFallBackExactlyWhereThePrimaryFailedDuringABrownout() throws Exception {
        Chain chain = new Chain(BROWNOUT.formatted("0.3"), "{\"minimum_calls\": 50, \"sliding_window_size\": 100}");
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            results.add(chain.run(List.of("openai", "anthropic")));
        }

        assertThat(results).allMatch(Result::ok);
        // each job gets at most 2 attempts on openai (max_retries 1); it falls back only after both failed
        assertThat(results).allMatch(r -> r.primaryAttempts() >= 1 && r.primaryAttempts() <= 2);
        assertThat(results)
                .filteredOn(r -> r.fallbackIndex() == 1)
                .allMatch(r -> r.primaryAttempts() == 2 && r.primaryError() != null);
        long fellBack = results.stream().filter(r -> r.fallbackIndex() == 1).count();
        assertThat(fellBack)
                .as("about 0.3 * 0.3 of the jobs fail twice on openai")
                .isBetween(60L, 130L);
        assertThat(chain.breakers.state("openai", "m")).isEqualTo("CLOSED");
    }

    @Test
    void shouldOpenTheBreakerInAFullOutageSoJobsSkipThePrimary() throws Exception {
        Chain chain = new Chain(
                BROWNOUT.formatted("1.0"),
                "{\"minimum_calls\": 10, \"sliding_window_size\": 20, \"wait_in_open\": \"1h\"}");
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            results.add(chain.run(List.of("openai", "anthropic")));
        }

        assertThat(results).allMatch(r -> r.ok() && r.fallbackIndex() == 1);
        assertThat(chain.breakers.state("openai", "m")).isEqualTo("OPEN");
        int openaiCalls = results.stream().mapToInt(Result::primaryAttempts).sum();
        assertThat(openaiCalls)
                .as("the outage costs about minimum_calls attempts, not 2 per job")
                .isLessThanOrEqualTo(11);
        assertThat(results.subList(10, 200)).allMatch(r -> r.primaryAttempts() == 0);
    }

    @Test
    void shouldStopTheChainWhenARuleDisallowsFallbacks() throws Exception {
        Chain chain = new Chain("""
                {"rules": [{"name": "hard-fail", "conditions": {"providers": ["openai"]},
                  "responses": [{"type": "error", "allow_fallbacks": false,
                    "error": {"message": "Service unavailable", "type": "server_error", "status_code": 503}}]}]}""", "{}");
        Result r = chain.run(List.of("openai", "anthropic"));

        assertThat(r.ok()).isFalse();
        assertThat(r.fallbackIndex()).isZero();
        assertThat(r.primaryAttempts()).isEqualTo(1);
        assertThat(r.primaryError().httpStatus()).hasValue(503);
        assertThat(r.primaryError().message()).isEqualTo("Service unavailable");
    }
}
