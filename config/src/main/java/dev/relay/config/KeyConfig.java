package dev.relay.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One API key of a provider ({@code providers.<name>.keys[i]}). {@code value} is empty when its {@code env.VAR} is not
 * set: a warning at start-up and an AUTH failure per attempt, not a crash. {@code models} empty means every model.
 * {@code extra} holds provider-specific key settings such as Bifrost's {@code azure_key_config}.
 */
public record KeyConfig(
        String name,
        Optional<Secret> value,
        String valueSource,
        List<String> models,
        double weight,
        Map<String, String> extra) {

    public boolean allows(String model) {
        return models.isEmpty() || models.contains(model);
    }

    static KeyConfig read(Node n, int index, List<String> warnings) {
        Node valueNode = n.get("value");
        Optional<Secret> value = valueNode.secret();
        String source = valueNode.envVariable().map(v -> "env." + v).orElse("literal");
        if (value.isEmpty()) {
            warnings.add(valueNode.path() + ": env var "
                    + valueNode.envVariable().orElse("?") + " is not set; calls with this key will fail as AUTH");
        }
        String name = n.get("name").string("key-" + index);
        double weight = n.get("weight").number(1.0, 0.0, 1_000_000.0);
        Map<String, String> extra = new java.util.LinkedHashMap<>();
        for (var e : n.fields().entrySet()) {
            if (e.getValue().json().isObject()) {
                flatten(e.getKey(), e.getValue().json(), extra);
            }
        }
        return new KeyConfig(name, value, source, List.copyOf(n.get("models").strings()), weight, Map.copyOf(extra));
    }

    /** Nested objects become dotted keys, e.g. {@code azure_key_config.deployments.gpt-4o}. */
    private static void flatten(String prefix, com.fasterxml.jackson.databind.JsonNode node, Map<String, String> out) {
        node.fields().forEachRemaining(f -> {
            if (f.getValue().isValueNode()) {
                out.put(prefix + "." + f.getKey(), f.getValue().asText());
            } else if (f.getValue().isObject()) {
                flatten(prefix + "." + f.getKey(), f.getValue(), out);
            }
        });
    }
}
