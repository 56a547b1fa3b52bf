package dev.relay.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.attempt.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CallPolicyTest {

    private static final String CONFIG = """
            {"providers": {"p": {"type": "mock",
              "keys": [{"name": "k1", "value": "sk-1"}, {"name": "k2", "value": "sk-2", "models": ["big"]},
                       {"name": "unset", "value": "env.NOT_SET"}],
              "network_config": {"max_retries": 1, "retry_backoff_initial": "40ms", "retry_backoff_max": "40ms"}}}}
            """;

    private final RelayConfig config = new ConfigLoader(name -> Optional.empty()).parse(CONFIG, "test");
    private final ProviderConfig p = config.provider("p").orElseThrow();
    private final List<String> breakerCalls = new ArrayList<>();
    private final CallPolicy policy = new CallPolicy(RetryPolicy.defaults(), new Recording(), new SplittableRandom(1));

    private static AttemptOutcome.Failure failure(FailureClass c) {
        return AttemptOutcome.Failure.of(c, 429, null, null, "m");
    }

    @Test
    void shouldRotateOnlyToAnotherKeyThatIsSetAndAllowsTheModel() {
        // k2 allows only "big", the unset key cannot authenticate: for "small" nothing is left after k1
        assertThat(policy.decide(p, "small", failure(FailureClass.RATE_LIMITED), 1, Set.of("k1"), false))
                .isEqualTo(new Verdict.NextHop());
        assertThat(policy.decide(p, "big", failure(FailureClass.RATE_LIMITED), 1, Set.of("k1"), false))
                .isEqualTo(new Verdict.RetrySame(Duration.ZERO, true));
    }

    @Test
    void shouldBackOffWithTheProvidersOwnNetworkConfig() {
        assertThat(policy.decide(p, "small", failure(FailureClass.TRANSIENT), 1, Set.of("k1"), false))
                .isInstanceOfSatisfying(
                        Verdict.RetrySame.class,
                        r -> assertThat(r.delay()).isBetween(Duration.ofMillis(20), Duration.ofMillis(40)));
        // max_retries 1 for this provider: the second failure moves on
        assertThat(policy.decide(p, "small", failure(FailureClass.TRANSIENT), 2, Set.of("k1"), false))
                .isEqualTo(new Verdict.NextHop());
    }

    @Test
    void shouldChooseOnlyAllowedKeysThatAreNotExcluded() {
        assertThat(policy.chooseKey(p, "small", Set.of())).map(k -> k.name()).contains("k1");
        assertThat(policy.chooseKey(p, "big", Set.of("k1"))).map(k -> k.name()).contains("k2");
        // the unset key is the last resort: it is chosen (and fails as AUTH) only when nothing else is left
        assertThat(policy.chooseKey(p, "small", Set.of("k1")))
                .map(k -> k.name())
                .contains("unset");
        assertThat(policy.chooseKey(p, "small", Set.of("k1", "unset"))).isEmpty();
    }

    @Test
    void shouldSkipTheTargetAsTheRetryPolicySays() {
        assertThat(policy.skip(false)).isEqualTo(new Verdict.NextHop());
        assertThat(policy.skip(true)).isEqualTo(new Verdict.GiveUp("CHAIN_EXHAUSTED"));
    }

    @Test
    void shouldHandTheBreakerEveryCallWithItsTarget() {
        assertThat(policy.tryAcquire("p", "small", 2)).isTrue();
        policy.onFailure("p", "small", FailureClass.TRANSIENT, Duration.ofMillis(3));
        policy.onSuccess("p", "big", Duration.ofMillis(4));
        policy.release("p", "big");
        assertThat(breakerCalls)
                .containsExactly("acquire p/small #2", "failure p/small TRANSIENT", "success p/big", "release p/big");
    }

    private final class Recording implements Breakers {
        @Override
        public boolean tryAcquire(String provider, String model, int attemptOnTarget) {
            breakerCalls.add("acquire " + provider + "/" + model + " #" + attemptOnTarget);
            return true;
        }

        @Override
        public void onSuccess(String provider, String model, Duration latency) {
            breakerCalls.add("success " + provider + "/" + model);
        }

        @Override
        public void onFailure(String provider, String model, FailureClass failure, Duration latency) {
            breakerCalls.add("failure " + provider + "/" + model + " " + failure);
        }

        @Override
        public void release(String provider, String model) {
            breakerCalls.add("release " + provider + "/" + model);
        }
    }
}
