package dev.relay.processor.routing;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Picks the API key for an attempt: a weighted random choice among the provider's keys that allow the model
 * ({@link KeyConfig#allows}), skipping the names the caller excludes (keys dead for the job after AUTH, or the key that
 * just got a 429/402). Deterministic for a seeded generator.
 *
 * <p>Preference order among the candidates: keys whose value is set come before keys whose {@code env.VAR} is unset
 * (those can only fail as AUTH); then keys with positive weight come before weight-0 keys (standby keys, used only
 * when nothing else is left). Within the chosen group the choice is proportional to weight (uniform for weight 0).
 */
public final class KeySelector {

    private final RandomGenerator random;

    public KeySelector(RandomGenerator random) {
        this.random = random;
    }

    /** Weighted choice among the provider's keys that allow the model, skipping excluded names; empty if none. */
    public Optional<KeyConfig> choose(ProviderConfig provider, String model, Set<String> excludedKeyNames) {
        List<KeyConfig> group = preferredGroup(candidates(provider, model, excludedKeyNames));
        if (group.isEmpty()) {
            return Optional.empty();
        }
        if (group.size() == 1) {
            return Optional.of(group.getFirst());
        }
        double total = group.stream().mapToDouble(KeyConfig::weight).sum();
        if (total <= 0) {
            return Optional.of(group.get(random.nextInt(group.size())));
        }
        double point = random.nextDouble() * total;
        for (KeyConfig k : group) {
            point -= k.weight();
            if (point < 0) {
                return Optional.of(k);
            }
        }
        return Optional.of(group.getLast()); // rounding: the point landed on the total itself
    }

    /**
     * Whether a usable key (value set) other than the excluded ones allows the model: the caller's "another key
     * available". Keys with an unset {@code env.VAR} do not count, since rotating to them can only fail as AUTH.
     */
    public static boolean hasUsableKey(ProviderConfig provider, String model, Set<String> excludedKeyNames) {
        return candidates(provider, model, excludedKeyNames).stream()
                .anyMatch(k -> k.value().isPresent());
    }

    private static List<KeyConfig> candidates(ProviderConfig provider, String model, Set<String> excluded) {
        List<KeyConfig> out = new ArrayList<>();
        for (KeyConfig k : provider.keys()) {
            if (k.allows(model) && !excluded.contains(k.name())) {
                out.add(k);
            }
        }
        return out;
    }

    private static List<KeyConfig> preferredGroup(List<KeyConfig> candidates) {
        List<KeyConfig> usable =
                candidates.stream().filter(k -> k.value().isPresent()).toList();
        List<KeyConfig> pool = usable.isEmpty() ? candidates : usable;
        List<KeyConfig> weighted = pool.stream().filter(k -> k.weight() > 0).toList();
        return weighted.isEmpty() ? pool : weighted;
    }
}
