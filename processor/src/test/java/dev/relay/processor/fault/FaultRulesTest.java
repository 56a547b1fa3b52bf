package dev.relay.processor.fault;

import static dev.relay.processor.fault.MockerConfigs.rules;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FaultRulesTest {

    private final SplittableRandom random = new SplittableRandom(42);

    private static final String RATE_LIMIT_RULE = """
            {"rules": [{"name": "openai-rate-limit", "enabled": true, "priority": 100, "probability": 1.0,
              "conditions": {"providers": ["openai"]},
              "responses": [{"type": "error", "allow_fallbacks": true,
                "error": {"message": "Rate limit exceeded", "type": "rate_limit", "code": "429", "status_code": 429}}],
              "latency": {"type": "fixed", "min": 100000000}}]}""";

    @Test
    void shouldInjectTheSeedArticlesRateLimitRule() {
        Fault fault = rules(RATE_LIMIT_RULE)
                .match("openai", "gpt-4o-mini", "What is the capital of France?", random)
                .orElseThrow();

        assertThat(fault.ruleName()).isEqualTo("openai-rate-limit");
        assertThat(fault.latency()).isEqualTo(Duration.ofMillis(100)); // Go durations are nanoseconds
        assertThat(fault.outcome()).get().isInstanceOfSatisfying(AttemptOutcome.Failure.class, f -> {
            assertThat(f.failureClass()).isEqualTo(FailureClass.RATE_LIMITED);
            assertThat(f.httpStatus()).hasValue(429);
            assertThat(f.errorType()).isEqualTo("rate_limit");
            assertThat(f.errorCode()).isEqualTo("429");
            assertThat(f.message()).isEqualTo("Rate limit exceeded");
            assertThat(f.allowFallbacks()).isTrue();
        });
    }

    @Test
    void shouldNotMatchOtherProviders() {
        assertThat(rules(RATE_LIMIT_RULE).match("anthropic", "claude", "hi", random))
                .isEmpty();
    }

    @Test
    void shouldClassifyCannedErrorsWithTheClassifier() {
        FaultRules r = rules("""
                {"rules": [{"name": "r", "responses": [
                  {"type": "error", "error": {"message": "overloaded", "status_code": 529}}]},
                  {"name": "q", "conditions": {"models": ["gpt-4o"]}, "priority": 5, "responses": [
                  {"type": "error", "error": {"message": "no money", "code": "insufficient_quota", "status_code": 429}}]},
                  {"name": "bad", "conditions": {"models": ["o3"]}, "priority": 5, "responses": [
                  {"type": "error", "allow_fallbacks": false, "error": {"message": "nope", "status_code": 400}}]}]}""");

        assertThat(failure(r.match("openai", "gpt-4o-mini", "", random)))
                .returns(FailureClass.TRANSIENT, AttemptOutcome.Failure::failureClass);
        assertThat(failure(r.match("openai", "gpt-4o", "", random)))
                .returns(FailureClass.QUOTA, AttemptOutcome.Failure::failureClass);
        AttemptOutcome.Failure bad = failure(r.match("openai", "o3", "", random));
        assertThat(bad.failureClass()).isEqualTo(FailureClass.INVALID_REQUEST);
        assertThat(bad.allowFallbacks()).isFalse();
    }

    @Test
    void shouldCarryRetryAfterOnCannedErrors() {
        FaultRules r = rules("""
                {"rules": [{"name": "r", "responses": [{"type": "error",
                  "error": {"message": "slow down", "status_code": 429, "retry_after": 2}}]}]}""");
        assertThat(failure(r.match("openai", "m", "", random)).retryAfter()).hasValue(Duration.ofSeconds(2));
    }

    @Test
    void shouldAnswerCannedSuccessAsAnOpenAiChatCompletion() {
        FaultRules r = rules("""
                {"rules": [{"name": "ok", "responses": [{"type": "success", "content": {
                  "message_template": "Hello from {{provider}} using {{model}}",
                  "usage": {"prompt_tokens": 3, "completion_tokens": 4}}}]}]}""");

        var success = (AttemptOutcome.Success) r.match("anthropic", "claude-3-5-haiku", "hi", random)
                .orElseThrow()
                .outcome()
                .orElseThrow();

        var c = success.completion();
        assertThat(c.path("object").asText()).isEqualTo("chat.completion");
        assertThat(c.path("id").asText()).startsWith("chatcmpl-mock-");
        assertThat(c.path("model").asText()).isEqualTo("claude-3-5-haiku");
        assertThat(c.path("created").asLong()).isPositive();
        assertThat(c.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(c.at("/choices/0/message/content").asText())
                .isEqualTo("Hello from anthropic using claude-3-5-haiku");
        assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(c.at("/usage/total_tokens").asInt()).isEqualTo(7);
        assertThat(success.httpStatus()).isEqualTo(200);
        assertThat(success.usage()).isEqualTo(new AttemptOutcome.Usage(3, 4, 7));
    }

    @Test
    void shouldAcceptPlainStringContentAndModelOverride() {
        var s = (AttemptOutcome.Success) rules("""
                {"rules": [{"name": "ok", "responses": [{"type": "success", "content": "canned"}]}]}""")
                .match("mock", "echo", "", random)
                .orElseThrow()
                .outcome()
                .orElseThrow();
        assertThat(s.completion().at("/choices/0/message/content").asText()).isEqualTo("canned");
        var t = (AttemptOutcome.Success) rules("""
                {"rules": [{"name": "ok", "responses": [{"type": "success",
                   "content": {"message": "x", "model": "fake-model", "finish_reason": "length"}}]}]}""")
                .match("mock", "echo", "", random)
                .orElseThrow()
                .outcome()
                .orElseThrow();
        assertThat(t.completion().path("model").asText()).isEqualTo("fake-model");
        assertThat(t.completion().at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void shouldPickTheHighestPriorityMatchingRuleAndNotFallThroughWhenItDoesNotFire() {
        FaultRules r = rules("""
                {"rules": [
                  {"name": "low", "priority": 1, "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]},
                  {"name": "high", "priority": 10, "probability": 0.0,
                   "responses": [{"type": "error", "error": {"message": "b", "status_code": 503}}]},
                  {"name": "disabled", "priority": 99, "enabled": false,
                   "responses": [{"type": "error", "error": {"message": "c", "status_code": 502}}]}]}""");
        // "high" matches first; probability 0 never fires; Bifrost then passes the call through untouched
        for (int i = 0; i < 100; i++) {
            assertThat(r.match("openai", "m", "", random)).isEmpty();
        }
    }

    @Test
    void shouldKeepFileOrderBetweenEqualPriorities() {
        FaultRules r = rules("""
                {"rules": [
                  {"name": "first", "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]},
                  {"name": "second", "responses": [{"type": "error", "error": {"message": "b", "status_code": 500}}]}]}""");
        assertThat(r.match("openai", "m", "", random))
                .get()
                .extracting(Fault::ruleName)
                .isEqualTo("first");
    }

    @Test
    void shouldFireWithTheRulesProbability() {
        FaultRules r = rules("""
                {"rules": [{"name": "r", "probability": 0.3,
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}""");
        int fired = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            fired += r.match("openai", "m", "", random).isPresent() ? 1 : 0;
        }
        assertThat(fired / (double) n).isCloseTo(0.3, within(0.015));
    }

    @Test
    void shouldChooseResponsesByWeightWithZeroMeaningOne() {
        FaultRules r = rules("""
                {"rules": [{"name": "mix", "responses": [
                  {"type": "error", "weight": 2, "error": {"message": "429", "status_code": 429}},
                  {"type": "error", "weight": 0, "error": {"message": "500", "status_code": 500}},
                  {"type": "success", "weight": 7, "content": {"message": "ok"}}]}]}""");
        Map<String, Integer> counts = new HashMap<>();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            AttemptOutcome o =
                    r.match("openai", "m", "", random).orElseThrow().outcome().orElseThrow();
            String key = o instanceof AttemptOutcome.Failure f ? f.message() : "ok";
            counts.merge(key, 1, Integer::sum);
        }
        assertThat(counts.get("429") / (double) n).isCloseTo(0.2, within(0.015));
        assertThat(counts.get("500") / (double) n).isCloseTo(0.1, within(0.015));
        assertThat(counts.get("ok") / (double) n).isCloseTo(0.7, within(0.015));
    }

    @Test
    void shouldMatchModelsAndMessageRegex() {
        FaultRules r = rules("""
                {"rules": [{"name": "r", "conditions": {"models": ["gpt-4o"], "message_regex": "(?i)\\\\bfail me\\\\b"},
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}""");
        assertThat(r.match("openai", "gpt-4o", "please FAIL ME now", random)).isPresent();
        assertThat(r.match("openai", "gpt-4o", "please succeed", random)).isEmpty();
        assertThat(r.match("openai", "gpt-4o-mini", "fail me", random)).isEmpty();
        assertThat(r.match("openai", "gpt-4o", null, random)).isEmpty();
    }

    @Test
    void shouldMatchRequestSize() {
        FaultRules r = rules("""
                {"rules": [{"name": "big", "conditions": {"request_size": {"min": 100}},
                  "responses": [{"type": "error", "error": {"message": "too long", "status_code": 413}}]}]}""");
        assertThat(r.match("openai", "m", "x".repeat(200), random)).isPresent();
        assertThat(r.match("openai", "m", "short", random)).isEmpty();
    }

    @Test
    void shouldSampleUniformLatencyWithinBoundsAndUseGlobalLatencyAsDefault() {
        FaultRules r = rules("""
                {"global_latency": {"type": "fixed", "min": "250ms"},
                 "rules": [
                  {"name": "slow", "conditions": {"providers": ["openai"]}, "latency": {"type": "uniform", "min": "1s", "max": "2s"},
                   "responses": [{"type": "success", "content": {"message": "ok"}}]},
                  {"name": "global", "responses": [{"type": "success", "content": {"message": "ok"}}]}]}""");
        Duration min = Duration.ofDays(1);
        Duration max = Duration.ZERO;
        for (int i = 0; i < 1000; i++) {
            Duration d = r.match("openai", "m", "", random).orElseThrow().latency();
            min = d.compareTo(min) < 0 ? d : min;
            max = d.compareTo(max) > 0 ? d : max;
        }
        assertThat(min).isBetween(Duration.ofSeconds(1), Duration.ofMillis(1050));
        assertThat(max).isBetween(Duration.ofMillis(1950), Duration.ofSeconds(2));
        assertThat(r.match("anthropic", "m", "", random).orElseThrow().latency())
                .isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void shouldSupportLatencyOnlyRules() {
        Fault f = rules("""
                {"rules": [{"name": "slow", "latency": {"type": "fixed", "min": "3s"}}]}""").match("openai", "m", "", random).orElseThrow();
        assertThat(f.latency()).isEqualTo(Duration.ofSeconds(3));
        assertThat(f.outcome()).isEmpty();
    }

    @Test
    void shouldBeDeterministicForASeed() {
        FaultRules r = rules("""
                {"rules": [{"name": "r", "probability": 0.5, "latency": {"type": "uniform", "min": "0ms", "max": "1s"},
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}""");
        var a = new SplittableRandom(3);
        var b = new SplittableRandom(3);
        for (int i = 0; i < 100; i++) {
            assertThat(r.match("openai", "m", "", a).map(Fault::latency))
                    .isEqualTo(r.match("openai", "m", "", b).map(Fault::latency));
        }
    }

    @Test
    void shouldApplyDefaultBehaviorWhenNoRuleMatches() {
        FaultRules err = rules("""
                {"default_behavior": "error", "rules": [{"name": "r", "conditions": {"providers": ["anthropic"]},
                  "responses": [{"type": "success", "content": {"message": "ok"}}]}]}""");
        assertThat(failure(err.match("openai", "m", "", random)).failureClass()).isEqualTo(FailureClass.TRANSIENT);
        FaultRules ok = rules("""
                {"default_behavior": "success", "rules": [{"name": "r", "conditions": {"providers": ["anthropic"]},
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}""");
        assertThat(ok.match("openai", "m", "", random).orElseThrow().outcome())
                .get()
                .isInstanceOf(AttemptOutcome.Success.class);
        FaultRules pass = rules("""
                {"default_behavior": "passthrough", "rules": [{"name": "r", "conditions": {"providers": ["anthropic"]},
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}""");
        assertThat(pass.match("openai", "m", "", random)).isEmpty();
    }

    @Test
    void shouldMockEverythingWhenEnabledWithoutRulesAsBifrostDoes() {
        FaultRules r = rules("{}");
        var s = (AttemptOutcome.Success) r.match("openai", "gpt-4o", "hi", random)
                .orElseThrow()
                .outcome()
                .orElseThrow();
        assertThat(s.completion().at("/choices/0/message/content").asText())
                .isEqualTo(MockerConfigReader.DEFAULT_RULE_MESSAGE);
    }

    @Test
    void shouldBeNoneWithoutAMockerOrWhenItIsDisabled() {
        assertThat(FaultRules.from(MockerConfigs.withPlugins("[]")).isEmpty()).isTrue();
        assertThat(FaultRules.from(MockerConfigs.withPlugins("""
                [{"name": "mocker", "enabled": false, "config": {"rules": [{"name": "r",
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}}]""")).isEmpty()).isTrue();
        assertThat(rules("""
                {"enabled": false, "rules": [{"name": "r",
                  "responses": [{"type": "error", "error": {"message": "a", "status_code": 500}}]}]}""").isEmpty()).isTrue();
        assertThat(FaultRules.none().match("openai", "m", "", random)).isEmpty();
    }

    @Test
    void shouldExtractMessageTextLikeBifrost() throws Exception {
        var request = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"model": "gpt-4o", "messages": [
                  {"role": "system", "content": "be brief"},
                  {"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "image_url", "image_url": {"url": "x"}}]},
                  {"role": "assistant", "content": null}]}""");
        assertThat(MessageText.of(request)).isEqualTo("be brief hello");
        assertThat(MessageText.of(null)).isEmpty();
    }

    private static AttemptOutcome.Failure failure(Optional<Fault> fault) {
        return (AttemptOutcome.Failure) fault.orElseThrow().outcome().orElseThrow();
    }
}
