package dev.relay.processor.attempt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ConfigException;
import dev.relay.config.NetworkConfig;
import dev.relay.config.Node;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RetryPolicyTest {

    private static final NetworkConfig NET = new NetworkConfig(
            Optional.empty(), Duration.ofSeconds(30), 2, Duration.ofMillis(100), Duration.ofMillis(1000), Map.of());
    private static final Verdict NEXT = new Verdict.NextHop();
    private static final Verdict EXHAUSTED = new Verdict.GiveUp("CHAIN_EXHAUSTED");

    private final RetryPolicy defaults = RetryPolicy.defaults();
    private final RandomGenerator random = new SplittableRandom(42);

    static AttemptOutcome.Failure failure(FailureClass c) {
        return AttemptOutcome.Failure.of(c, 500, "t", "c", "m");
    }

    static RetryPolicy policy(String json) throws Exception {
        return RetryPolicy.from(Node.root(new ObjectMapper().readTree(json), name -> Optional.empty())
                .get("fallback_policy"));
    }

    @Test
    void shouldRetryTransientWithJitteredBackoffUpToMaxRetriesThenMoveOn() {
        Verdict first = defaults.decide(failure(FailureClass.TRANSIENT), 1, NET, false, false, random);
        Verdict second = defaults.decide(failure(FailureClass.TRANSIENT), 2, NET, false, false, random);
        Verdict third = defaults.decide(failure(FailureClass.TRANSIENT), 3, NET, false, false, random);

        assertThat(first).isInstanceOfSatisfying(Verdict.RetrySame.class, r -> {
            assertThat(r.rotateKey()).isFalse();
            assertThat(r.delay()).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        });
        assertThat(second)
                .isInstanceOfSatisfying(
                        Verdict.RetrySame.class,
                        r -> assertThat(r.delay()).isBetween(Duration.ofMillis(100), Duration.ofMillis(200)));
        assertThat(third).isEqualTo(NEXT);
    }

    @Test
    void shouldRetryNetworkErrorsWithBackoff() {
        assertThat(defaults.decide(failure(FailureClass.NETWORK), 1, NET, true, false, random))
                .isInstanceOfSatisfying(
                        Verdict.RetrySame.class, r -> assertThat(r.rotateKey()).isFalse());
    }

    @Test
    void shouldGiveUpInsteadOfNextHopOnTheLastHop() {
        assertThat(defaults.decide(failure(FailureClass.TRANSIENT), 3, NET, false, true, random))
                .isEqualTo(EXHAUSTED);
        assertThat(defaults.decide(failure(FailureClass.TIMEOUT), 1, NET, false, true, random))
                .isEqualTo(EXHAUSTED);
    }

    @Test
    void shouldNotRetryTransientWhenMaxRetriesIsZero() {
        NetworkConfig none = new NetworkConfig(
                Optional.empty(), Duration.ofSeconds(30), 0, Duration.ofMillis(100), Duration.ofMillis(1000), Map.of());
        assertThat(defaults.decide(failure(FailureClass.TRANSIENT), 1, none, false, false, random))
                .isEqualTo(NEXT);
    }

    @Test
    void shouldBeDeterministicForASeededGenerator() {
        Verdict a = defaults.decide(failure(FailureClass.TRANSIENT), 2, NET, false, false, new SplittableRandom(7));
        Verdict b = defaults.decide(failure(FailureClass.TRANSIENT), 2, NET, false, false, new SplittableRandom(7));
        assertThat(a).isEqualTo(b);
    }

    @Test
    void shouldHonourAShortRetryAfterOnTransientFailures() {
        var f = failure(FailureClass.TRANSIENT).withRetryAfter(Duration.ofSeconds(3));
        assertThat(defaults.decide(f, 1, NET, false, false, random))
                .isEqualTo(new Verdict.RetrySame(Duration.ofSeconds(3), false));
    }

    @Test
    void shouldMoveOnWhenRetryAfterExceedsTheCap() {
        var f = failure(FailureClass.TRANSIENT).withRetryAfter(Duration.ofSeconds(6));
        assertThat(defaults.decide(f, 1, NET, false, false, random)).isEqualTo(NEXT);
    }

    @Test
    void shouldRotateKeyAtOnceOnRateLimitWhenAnotherKeyExists() {
        var f = failure(FailureClass.RATE_LIMITED).withRetryAfter(Duration.ofSeconds(2));
        assertThat(defaults.decide(f, 1, NET, true, false, random))
                .isEqualTo(new Verdict.RetrySame(Duration.ZERO, true));
    }

    @Test
    void shouldWaitAShortRetryAfterOnRateLimitWithoutAnotherKey() {
        var f = failure(FailureClass.RATE_LIMITED).withRetryAfter(Duration.ofSeconds(2));
        assertThat(defaults.decide(f, 1, NET, false, false, random))
                .isEqualTo(new Verdict.RetrySame(Duration.ofSeconds(2), false));
    }

    @Test
    void shouldMoveOnFromRateLimitWithoutAnotherKeyAndWithoutRetryAfter() {
        assertThat(defaults.decide(failure(FailureClass.RATE_LIMITED), 1, NET, false, false, random))
                .isEqualTo(NEXT);
    }

    @Test
    void shouldMoveOnFromRateLimitWhenRetryAfterIsLong() {
        var f = failure(FailureClass.RATE_LIMITED).withRetryAfter(Duration.ofSeconds(60));
        assertThat(defaults.decide(f, 1, NET, false, false, random)).isEqualTo(NEXT);
    }

    @Test
    void shouldStopRotatingKeysAfterMaxRetries() {
        assertThat(defaults.decide(failure(FailureClass.RATE_LIMITED), 3, NET, true, false, random))
                .isEqualTo(NEXT);
    }

    @ParameterizedTest
    @EnumSource(
            value = FailureClass.class,
            names = {"QUOTA", "AUTH"})
    void shouldRotateKeyOnQuotaAndAuthOnlyWithAnotherKey(FailureClass c) {
        assertThat(defaults.decide(failure(c), 1, NET, true, false, random))
                .isEqualTo(new Verdict.RetrySame(Duration.ZERO, true));
        assertThat(defaults.decide(failure(c), 1, NET, false, false, random)).isEqualTo(NEXT);
        // a Retry-After does not make a dead key or an empty balance usable again
        assertThat(defaults.decide(failure(c).withRetryAfter(Duration.ofSeconds(1)), 1, NET, false, false, random))
                .isEqualTo(NEXT);
    }

    @Test
    void shouldRetryTruncatedOnceWhateverMaxRetriesSays() {
        NetworkConfig none = new NetworkConfig(
                Optional.empty(), Duration.ofSeconds(30), 0, Duration.ofMillis(100), Duration.ofMillis(1000), Map.of());
        assertThat(defaults.decide(failure(FailureClass.TRUNCATED), 1, none, false, false, random))
                .isInstanceOf(Verdict.RetrySame.class);
        assertThat(defaults.decide(failure(FailureClass.TRUNCATED), 2, NET, false, false, random))
                .isEqualTo(NEXT);
    }

    @ParameterizedTest
    @EnumSource(
            value = FailureClass.class,
            names = {"TIMEOUT", "MODEL_UNAVAILABLE", "CONTEXT_LENGTH"})
    void shouldNeverRetryTheseOnTheSameTarget(FailureClass c) {
        assertThat(defaults.decide(failure(c), 1, NET, true, false, random)).isEqualTo(NEXT);
    }

    @ParameterizedTest
    @EnumSource(
            value = FailureClass.class,
            names = {"INVALID_REQUEST", "DEADLINE"})
    void shouldGiveUpAtOnceOnCallerFaultAndDeadline(FailureClass c) {
        assertThat(defaults.decide(failure(c), 1, NET, true, false, random)).isEqualTo(new Verdict.GiveUp(c.name()));
        assertThat(defaults.policy(c).nextHop()).isFalse();
    }

    @Test
    void shouldNotFallBackOnContentFilterByDefault() {
        assertThat(defaults.decide(failure(FailureClass.CONTENT_FILTERED), 1, NET, true, false, random))
                .isEqualTo(new Verdict.GiveUp("NOT_RETRYABLE_CONTENT_FILTERED"));
        assertThat(defaults.policy(FailureClass.CONTENT_FILTERED).nextHop()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(FailureClass.class)
    void shouldGiveUpWhenAllowFallbacksIsFalse(FailureClass c) {
        var f = failure(c).withAllowFallbacks(false);
        String reason = switch (c) {
            case INVALID_REQUEST, DEADLINE, INTERNAL -> c.name();
            default -> "FALLBACKS_NOT_ALLOWED";
        };
        assertThat(defaults.decide(f, 1, NET, true, false, random)).isEqualTo(new Verdict.GiveUp(reason));
    }

    @Test
    void shouldFollowOverridesFromFallbackPolicy() throws Exception {
        RetryPolicy p = policy("""
                {"fallback_policy": {"retry_after_cap": "10s", "classes": {
                    "CONTENT_FILTERED": {"next_hop": true},
                    "TRANSIENT": {"retry_same": false},
                    "timeout": {"retry_same": true, "max_retries": 1},
                    "RATE_LIMITED": {"rotate_key": false}}}}""");

        assertThat(p.decide(failure(FailureClass.CONTENT_FILTERED), 1, NET, false, false, random))
                .isEqualTo(NEXT);
        assertThat(p.policy(FailureClass.CONTENT_FILTERED).nextHop()).isTrue();
        assertThat(p.decide(failure(FailureClass.TRANSIENT), 1, NET, false, false, random))
                .isEqualTo(NEXT);
        assertThat(p.decide(failure(FailureClass.TIMEOUT), 1, NET, false, false, random))
                .isInstanceOf(Verdict.RetrySame.class);
        assertThat(p.decide(failure(FailureClass.TIMEOUT), 2, NET, false, false, random))
                .isEqualTo(NEXT);
        // rotate_key false: a rate limit backs off on the same key, honouring a Retry-After up to the new cap
        assertThat(p.decide(
                        failure(FailureClass.RATE_LIMITED).withRetryAfter(Duration.ofSeconds(8)),
                        1,
                        NET,
                        true,
                        false,
                        random))
                .isEqualTo(new Verdict.RetrySame(Duration.ofSeconds(8), false));
        assertThat(p.retryAfterCap()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void shouldAcceptContentFilteredFallbackShorthand() throws Exception {
        RetryPolicy p = policy("{\"fallback_policy\": {\"content_filtered_fallback\": true}}");
        assertThat(p.decide(failure(FailureClass.CONTENT_FILTERED), 1, NET, false, false, random))
                .isEqualTo(NEXT);
    }

    @Test
    void shouldUseDefaultsWhenSectionIsAbsent() throws Exception {
        RetryPolicy p = policy("{}");
        for (FailureClass c : FailureClass.values()) {
            assertThat(p.policy(c)).isEqualTo(ClassPolicy.defaults(c));
        }
        assertThat(p.retryAfterCap()).isEqualTo(RetryPolicy.DEFAULT_RETRY_AFTER_CAP);
    }

    @Test
    void shouldRejectUnknownClassNamingThePath() {
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"classes\": {\"SLOW\": {\"next_hop\": true}}}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("fallback_policy.classes.SLOW: unknown failure class \"SLOW\"");
    }

    @Test
    void shouldRejectUnknownClassFieldNamingThePath() {
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"classes\": {\"TRANSIENT\": {\"retries\": 3}}}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("fallback_policy.classes.TRANSIENT.retries: unknown field");
    }

    @Test
    void shouldRejectUnknownTopLevelField() {
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"retry_after\": \"5s\"}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("fallback_policy.retry_after: unknown field");
    }

    @Test
    void shouldRejectWrongTypesNamingThePath() {
        assertThatThrownBy(
                        () -> policy("{\"fallback_policy\": {\"classes\": {\"TRANSIENT\": {\"next_hop\": \"yes\"}}}}"))
                .hasMessageStartingWith("fallback_policy.classes.TRANSIENT.next_hop: expected true or false");
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"classes\": {\"TRANSIENT\": {\"max_retries\": 99}}}}"))
                .hasMessageStartingWith("fallback_policy.classes.TRANSIENT.max_retries: must be between 0 and 20");
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"retry_after_cap\": \"soon\"}}"))
                .hasMessageStartingWith("fallback_policy.retry_after_cap: expected a duration");
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"classes\": []}}"))
                .hasMessageStartingWith("fallback_policy.classes: expected an object");
    }

    @Test
    void shouldRejectDeadlineOverride() {
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"classes\": {\"DEADLINE\": {\"next_hop\": true}}}}"))
                .hasMessageStartingWith("fallback_policy.classes.DEADLINE: DEADLINE cannot be overridden");
    }

    @Test
    void shouldRejectDuplicateClassInDifferentCase() {
        assertThatThrownBy(() -> policy("{\"fallback_policy\": {\"classes\": {\"TIMEOUT\": {}, \"timeout\": {}}}}"))
                .hasMessageStartingWith("fallback_policy.classes.timeout: duplicates fallback_policy.classes.TIMEOUT");
    }

    @Test
    void shouldRejectContradictingContentFilterSettings() {
        assertThatThrownBy(() -> policy("""
                {"fallback_policy": {"content_filtered_fallback": false,
                  "classes": {"CONTENT_FILTERED": {"next_hop": true}}}}"""))
                .hasMessageStartingWith("fallback_policy.content_filtered_fallback: contradicts "
                        + "fallback_policy.classes.CONTENT_FILTERED.next_hop");
    }

    @Test
    void shouldWaitTheBackoffWhenItIsLongerThanTheRetryAfter() {
        var f = failure(FailureClass.TRANSIENT).withRetryAfter(Duration.ofMillis(1));
        assertThat(defaults.decide(f, 2, NET, false, false, random))
                .isInstanceOfSatisfying(
                        Verdict.RetrySame.class,
                        r -> assertThat(r.delay()).isBetween(Duration.ofMillis(100), Duration.ofMillis(200)));
    }

    @Test
    void shouldNeverUseAKeyThatFailedAuthAgainEvenWithoutKeyRotation() throws Exception {
        RetryPolicy p = policy("{\"fallback_policy\": {\"classes\": {\"AUTH\": {\"rotate_key\": false}}}}");
        assertThat(p.decide(failure(FailureClass.AUTH), 1, NET, true, false, random))
                .isInstanceOfSatisfying(
                        Verdict.RetrySame.class, r -> assertThat(r.rotateKey()).isTrue());
        assertThat(p.decide(failure(FailureClass.TRANSIENT), 1, NET, true, false, random))
                .isInstanceOfSatisfying(
                        Verdict.RetrySame.class, r -> assertThat(r.rotateKey()).isFalse());
    }

    @Test
    void shouldNameTheClassWhenAClassThatDoesNotFallBackGivesUpBeforeTheLastHop() {
        assertThat(defaults.decide(failure(FailureClass.CONTENT_FILTERED), 1, NET, false, true, random))
                .isEqualTo(EXHAUSTED);
        assertThat(defaults.decide(failure(FailureClass.CONTENT_FILTERED), 1, NET, false, false, random))
                .isEqualTo(new Verdict.GiveUp("NOT_RETRYABLE_CONTENT_FILTERED"));
    }

    @Test
    void shouldKeepTheCallersFaultAsTheReasonWhenInvalidRequestsMayFallBack() throws Exception {
        RetryPolicy p = policy("{\"fallback_policy\": {\"classes\": {\"INVALID_REQUEST\": {\"next_hop\": true}}}}");
        assertThat(p.decide(failure(FailureClass.INVALID_REQUEST), 1, NET, false, false, random))
                .isEqualTo(NEXT);
        assertThat(p.decide(failure(FailureClass.INVALID_REQUEST), 1, NET, false, true, random))
                .isEqualTo(new Verdict.GiveUp("INVALID_REQUEST"));
    }

    @Test
    void shouldSkipATargetThatCannotBeCalledToTheNextHopOrEndTheChainOnTheLastHop() {
        assertThat(defaults.skipTarget(false)).isEqualTo(NEXT);
        assertThat(defaults.skipTarget(true)).isEqualTo(EXHAUSTED);
    }

    @Test
    void shouldNeitherRetryNorFallBackFromABugByDefault() {
        // another key, the first attempt, a chain with hops left: none of it matters for a bug
        assertThat(defaults.decide(failure(FailureClass.INTERNAL), 1, NET, true, false, random))
                .isEqualTo(new Verdict.GiveUp("INTERNAL"));
        assertThat(defaults.decide(failure(FailureClass.INTERNAL), 1, NET, true, true, random))
                .isEqualTo(new Verdict.GiveUp("INTERNAL"));
    }

    @Test
    void shouldLetFallbackPolicyFallBackOrRetryOnABug() throws Exception {
        RetryPolicy fallBack = policy("{\"fallback_policy\": {\"classes\": {\"INTERNAL\": {\"next_hop\": true}}}}");
        assertThat(fallBack.decide(failure(FailureClass.INTERNAL), 1, NET, true, false, random))
                .isEqualTo(NEXT);
        RetryPolicy retry = policy("{\"fallback_policy\": {\"classes\": {\"internal\": {\"retry_same\": true, "
                + "\"max_retries\": 1}}}}");
        assertThat(retry.decide(failure(FailureClass.INTERNAL), 1, NET, true, false, random))
                .isInstanceOf(Verdict.RetrySame.class);
        assertThat(retry.decide(failure(FailureClass.INTERNAL), 2, NET, true, false, random))
                .isEqualTo(new Verdict.GiveUp("INTERNAL"));
    }

    @Test
    void shouldRejectZeroBasedAttemptNumbers() {
        assertThatThrownBy(() -> defaults.decide(failure(FailureClass.TRANSIENT), 0, NET, false, false, random))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
