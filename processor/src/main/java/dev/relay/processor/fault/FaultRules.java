package dev.relay.processor.fault;

import dev.relay.config.PluginConfig;
import dev.relay.config.RelayConfig;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Fault-injection rules in the shape of Bifrost's mocker plugin ({@code plugins[{name: "mocker", ...}]}), validated
 * when the processor loads its config. Matching follows Bifrost: rules are tried by descending {@code priority}
 * (file order breaks ties); the first enabled rule whose conditions match is the one; it fires with its
 * {@code probability}, and if it does not fire the call goes through untouched (no other rule is tried). When no rule
 * matches, {@code default_behavior} applies ({@code passthrough} unless set). Immutable and thread-safe if the
 * caller's random generator is.
 */
public final class FaultRules {

    public static final String PLUGIN_NAME = "mocker";

    private static final FaultRules NONE = new FaultRules(List.of(), Optional.empty());

    private final List<MockRule> rules;
    private final Optional<MockRule> defaultRule;
    private final java.util.Map<String, java.util.concurrent.atomic.LongAdder> hits =
            new java.util.concurrent.ConcurrentHashMap<>();

    FaultRules(List<MockRule> rules, Optional<MockRule> defaultRule) {
        this.rules = rules.stream()
                .sorted(Comparator.comparingInt(MockRule::priority).reversed())
                .toList();
        this.defaultRule = defaultRule;
    }

    /** The rules of the {@code mocker} plugin, or {@link #none()} if there is none or it is disabled. */
    public static FaultRules from(RelayConfig config) {
        List<PluginConfig> mockers = config.plugins().stream()
                .filter(p -> p.name().equals(PLUGIN_NAME))
                .toList();
        if (mockers.isEmpty()) {
            return none();
        }
        if (mockers.size() > 1) {
            throw mockers.get(1).config().error("a second \"mocker\" plugin; put all rules in one");
        }
        PluginConfig plugin = mockers.getFirst();
        FaultRules rules =
                MockerConfigReader.read(plugin.config(), config.providers().keySet());
        return plugin.enabled() ? rules : none();
    }

    public static FaultRules none() {
        return NONE;
    }

    public boolean isEmpty() {
        return rules.isEmpty() && defaultRule.isEmpty();
    }

    /** A matching enabled rule (by priority, then probability), or empty. messageText = the request's user/system text. */
    public Optional<Fault> match(String provider, String model, String messageText, RandomGenerator random) {
        String text = messageText == null ? "" : messageText;
        for (MockRule rule : rules) {
            if (rule.enabled() && rule.matches(provider, model, text)) {
                // probability 1 must not consume randomness, so seeded runs stay comparable when a rule is edited
                if (rule.probability() < 1.0 && random.nextDouble() >= rule.probability()) {
                    return Optional.empty();
                }
                return Optional.of(fire(rule, provider, model, random));
            }
        }
        return defaultRule.map(r -> fire(r, provider, model, random));
    }

    /** How often each rule fired since start, by rule name (the dashboard shows it, through the status topic). */
    public java.util.Map<String, Long> hits() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        hits.forEach((name, n) -> out.put(name, n.sum()));
        return out;
    }

    private Fault fire(MockRule rule, String provider, String model, RandomGenerator random) {
        hits.computeIfAbsent(rule.name(), n -> new java.util.concurrent.atomic.LongAdder())
                .increment();
        var latency = rule.latency().sample(random);
        if (rule.responses().isEmpty()) {
            return new Fault(rule.name(), latency, Optional.empty());
        }
        return new Fault(rule.name(), latency, Optional.of(rule.pick(random).toOutcome(provider, model, random)));
    }

    @Override
    public String toString() {
        return "FaultRules" + rules.stream().map(MockRule::name).toList();
    }
}
