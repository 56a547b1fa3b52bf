package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.schemas.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns Bifrost's {@code model: "provider/model"} plus {@code fallbacks: ["provider/model", ...]} into a chain.
 * The provider is everything before the first {@code /}, so models that contain a slash
 * ({@code openrouter/anthropic/claude-3.5}) keep it.
 */
public final class ChainParser {

    private final Set<String> providers;
    private final int maxChainLength;

    public ChainParser(Set<String> providers, int maxChainLength) {
        this.providers = Set.copyOf(providers);
        this.maxChainLength = maxChainLength;
    }

    public List<Target> chain(JsonNode body) {
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            throw ApiException.invalid("model", "missing_required_parameter", "'model' is a required property");
        }
        if (!model.isTextual()) {
            throw ApiException.invalid("model", "invalid_type", "'model' must be a string \"provider/model\"");
        }
        List<Target> chain = new ArrayList<>();
        chain.add(target(model.asText(), "model"));
        JsonNode fallbacks = body.get("fallbacks");
        if (fallbacks != null && !fallbacks.isNull()) {
            if (!fallbacks.isArray()) {
                throw ApiException.invalid(
                        "fallbacks", "invalid_type", "'fallbacks' must be an array of \"provider/model\" strings");
            }
            for (int i = 0; i < fallbacks.size(); i++) {
                JsonNode f = fallbacks.get(i);
                String param = "fallbacks[" + i + "]";
                if (!f.isTextual()) {
                    throw ApiException.invalid(
                            param, "invalid_type", "'" + param + "' must be a string \"provider/model\"");
                }
                chain.add(target(f.asText(), param));
            }
        }
        if (chain.size() > maxChainLength) {
            throw ApiException.invalid(
                    "fallbacks",
                    "chain_too_long",
                    "the chain has " + chain.size() + " targets (model plus fallbacks); at most " + maxChainLength
                            + " are allowed (kafka.max_fallbacks + 1)");
        }
        return chain;
    }

    private Target target(String text, String param) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || !text.equals(text.strip())) {
            throw ApiException.invalid(
                    param, "invalid_model", "'" + param + "' must be \"provider/model\", got \"" + text + "\"");
        }
        String provider = text.substring(0, slash);
        if (!providers.contains(provider)) {
            throw ApiException.invalid(
                    param,
                    "unknown_provider",
                    "'" + param + "' names provider \"" + provider + "\", which is not configured; configured: "
                            + new java.util.TreeSet<>(providers));
        }
        return Target.newBuilder()
                .setProvider(provider)
                .setModel(text.substring(slash + 1))
                .build();
    }
}
