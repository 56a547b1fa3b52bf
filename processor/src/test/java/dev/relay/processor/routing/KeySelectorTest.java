package dev.relay.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.relay.config.KeyConfig;
import dev.relay.config.NetworkConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeySelectorTest {

    static KeyConfig key(String name, double weight, String... models) {
        return new KeyConfig(
                name, Optional.of(Secret.literal("sk-" + name)), "literal", List.of(models), weight, Map.of());
    }

    static KeyConfig unsetKey(String name) {
        return new KeyConfig(name, Optional.empty(), "env.UNSET", List.of(), 1.0, Map.of());
    }

    static ProviderConfig provider(KeyConfig... keys) {
        return new ProviderConfig("openai", "openai", List.of(keys), NetworkConfig.defaults(), 10, 100, Map.of());
    }

    @Test
    void shouldChooseProportionallyToWeight() {
        ProviderConfig p = provider(key("a", 1), key("b", 3), key("c", 6));
        KeySelector selector = new KeySelector(new SplittableRandom(42));
        Map<String, Integer> counts = new HashMap<>();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            counts.merge(selector.choose(p, "gpt-4o", Set.of()).orElseThrow().name(), 1, Integer::sum);
        }
        assertThat(counts.get("a") / (double) n).isCloseTo(0.1, within(0.015));
        assertThat(counts.get("b") / (double) n).isCloseTo(0.3, within(0.015));
        assertThat(counts.get("c") / (double) n).isCloseTo(0.6, within(0.015));
    }

    @Test
    void shouldBeDeterministicForASeed() {
        ProviderConfig p = provider(key("a", 1), key("b", 1), key("c", 1));
        List<String> first = picks(new KeySelector(new SplittableRandom(9)), p);
        List<String> second = picks(new KeySelector(new SplittableRandom(9)), p);
        assertThat(first).isEqualTo(second).containsAnyOf("a", "b", "c");
    }

    private static List<String> picks(KeySelector s, ProviderConfig p) {
        return java.util.stream.IntStream.range(0, 50)
                .mapToObj(i -> s.choose(p, "m", Set.of()).orElseThrow().name())
                .toList();
    }

    @Test
    void shouldOnlyChooseKeysThatAllowTheModel() {
        ProviderConfig p = provider(key("mini-only", 5, "gpt-4o-mini"), key("big", 1, "gpt-4o"));
        KeySelector selector = new KeySelector(new SplittableRandom(1));
        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(p, "gpt-4o", Set.of()).orElseThrow().name())
                    .isEqualTo("big");
        }
        assertThat(selector.choose(p, "o3", Set.of())).isEmpty();
    }

    @Test
    void shouldSkipExcludedKeysAndBeEmptyWhenAllAreExcluded() {
        ProviderConfig p = provider(key("a", 1), key("b", 1));
        KeySelector selector = new KeySelector(new SplittableRandom(1));
        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(p, "m", Set.of("a")).orElseThrow().name())
                    .isEqualTo("b");
        }
        assertThat(selector.choose(p, "m", Set.of("a", "b"))).isEmpty();
        assertThat(selector.choose(provider(), "m", Set.of())).isEmpty();
    }

    @Test
    void shouldUseWeightZeroKeysOnlyAsStandby() {
        ProviderConfig p = provider(key("main", 1), key("standby", 0));
        KeySelector selector = new KeySelector(new SplittableRandom(3));
        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(p, "m", Set.of()).orElseThrow().name()).isEqualTo("main");
        }
        assertThat(selector.choose(p, "m", Set.of("main")).orElseThrow().name()).isEqualTo("standby");
    }

    @Test
    void shouldPreferKeysWhoseValueIsSetButStillReturnAnUnsetOneAsLastResort() {
        ProviderConfig p = provider(unsetKey("missing"), key("set", 1));
        KeySelector selector = new KeySelector(new SplittableRandom(5));
        for (int i = 0; i < 100; i++) {
            assertThat(selector.choose(p, "m", Set.of()).orElseThrow().name()).isEqualTo("set");
        }
        // no usable key left: the unset one is returned so the attempt fails as AUTH with its name in the audit
        assertThat(selector.choose(p, "m", Set.of("set")).orElseThrow().name()).isEqualTo("missing");
    }

    @Test
    void shouldReportWhetherAnotherUsableKeyExists() {
        ProviderConfig p = provider(unsetKey("missing"), key("a", 1), key("b", 1, "other-model"));
        assertThat(KeySelector.hasUsableKey(p, "m", Set.of())).isTrue();
        assertThat(KeySelector.hasUsableKey(p, "m", Set.of("a"))).isFalse();
        assertThat(KeySelector.hasUsableKey(p, "other-model", Set.of("a"))).isTrue();
    }
}
