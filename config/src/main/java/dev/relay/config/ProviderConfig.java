package dev.relay.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code providers.<name>}. {@code type} picks the adapter: {@code openai}, {@code anthropic}, {@code gemini},
 * {@code azure}, {@code openrouter}, {@code mock}, or {@code openai-compatible} (Groq, Mistral, Ollama, vLLM, ...,
 * chosen by {@code base_url}). It defaults to the provider's name when that names an adapter, else
 * {@code openai-compatible}. {@code options} holds the other scalar settings (e.g. azure {@code api_version}, mock
 * {@code latency}).
 */
public record ProviderConfig(
        String name,
        String type,
        List<KeyConfig> keys,
        NetworkConfig network,
        int concurrency,
        int bufferSize,
        Map<String, String> options,
        BatchSettings batch) {

    public static final Set<String> TYPES =
            Set.of("openai", "anthropic", "gemini", "azure", "openrouter", "openai-compatible", "mock");
    public static final int DEFAULT_CONCURRENCY = 1000;
    public static final int DEFAULT_BUFFER_SIZE = 5000;

    /** Without a provider batch API. */
    public ProviderConfig(
            String name,
            String type,
            List<KeyConfig> keys,
            NetworkConfig network,
            int concurrency,
            int bufferSize,
            Map<String, String> options) {
        this(name, type, keys, network, concurrency, bufferSize, options, BatchSettings.OFF);
    }

    static ProviderConfig read(String name, Node n, List<String> warnings) {
        if (!name.matches("[a-z0-9][a-z0-9_-]*")) {
            throw n.error("provider names are lower-case letters, digits, '-' and '_'");
        }
        Node typeNode = n.get("type");
        String type = typeNode.string(TYPES.contains(name) ? name : "openai-compatible");
        if (!TYPES.contains(type)) {
            throw typeNode.error(
                    "unknown provider type \"" + type + "\"; expected one of " + new java.util.TreeSet<>(TYPES));
        }
        List<KeyConfig> keys = new ArrayList<>();
        List<Node> keyNodes = n.get("keys").list();
        for (int i = 0; i < keyNodes.size(); i++) {
            keys.add(KeyConfig.read(keyNodes.get(i), i, warnings));
        }
        NetworkConfig network = NetworkConfig.read(n.get("network_config"));
        if (type.equals("openai-compatible") && network.baseUrl().isEmpty()) {
            throw n.get("network_config").get("base_url").error("is required for an openai-compatible provider");
        }
        Node cb = n.get("concurrency_and_buffer_size");
        int concurrency = cb.get("concurrency").integer(DEFAULT_CONCURRENCY, 1, 100_000);
        int buffer = cb.get("buffer_size").integer(DEFAULT_BUFFER_SIZE, 1, 10_000_000);
        Map<String, String> options = new java.util.LinkedHashMap<>();
        n.fields().forEach((k, v) -> {
            if (v.json().isValueNode() && !k.equals("type")) {
                options.put(k, v.json().asText());
            }
        });
        BatchSettings batch = BatchSettings.read(n.get("batch"), type);
        return new ProviderConfig(
                name, type, List.copyOf(keys), network, concurrency, buffer, Map.copyOf(options), batch);
    }
}
