package dev.relay.processor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.RetryPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The shipped config.example.json must pass the policy and mocker validation, and its rule must do what it says. */
class ExampleConfigTest {

    @Test
    void shouldAcceptTheExampleConfigAndItsMockerRule() throws Exception {
        Path example = Path.of("../config.example.json");
        RelayConfig config = new ConfigLoader(name -> Optional.empty()).parse(Files.readString(example), "example");

        assertThat(RetryPolicy.from(config.fallbackPolicy())).isNotNull();
        assertThat(FaultRules.from(config).isEmpty())
                .as("the example ships the mocker disabled")
                .isTrue();

        // the same rules, enabled: ~30 % of openai calls answer 429 RATE_LIMITED and may fall back
        String enabled = Files.readString(example)
                .replace("{\"name\": \"mocker\", \"enabled\": false", "{\"name\": \"mocker\", \"enabled\": true");
        FaultRules rules = FaultRules.from(new ConfigLoader(name -> Optional.empty()).parse(enabled, "example"));
        SplittableRandom random = new SplittableRandom(11);
        int fired = 0;
        for (int i = 0; i < 2000; i++) {
            Optional<Fault> f = rules.match("openai", "gpt-4o-mini", "hi", random);
            if (f.isPresent()) {
                fired++;
                var failure = (AttemptOutcome.Failure) f.get().outcome().orElseThrow();
                assertThat(failure.failureClass()).isEqualTo(FailureClass.RATE_LIMITED);
                assertThat(failure.allowFallbacks()).isTrue();
            }
        }
        assertThat(fired).isBetween(540, 660);
        assertThat(rules.match("anthropic", "claude", "hi", random)).isEmpty();
    }
}
