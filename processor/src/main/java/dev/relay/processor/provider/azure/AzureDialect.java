package dev.relay.processor.provider.azure;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.OpenAiWire;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.openai.OpenAiStreamDecoder;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Azure OpenAI: {@code POST {base}/openai/deployments/{deployment}/chat/completions?api-version=...} with the
 * {@code api-key} header. Per key (Bifrost's {@code azure_key_config}): {@code deployments.<model>} names the
 * deployment (default: the model name), {@code api_version} the API version; else the provider options
 * {@code api_version} / {@code deployment}; else {@value #DEFAULT_API_VERSION}.
 */
public final class AzureDialect implements Dialect {

    public static final String DEFAULT_API_VERSION = "2024-10-21";

    private final Map<String, KeyConfig> keysByName = new HashMap<>();
    private final Map<String, String> options;

    public AzureDialect(ProviderConfig config) {
        config.keys().forEach(k -> keysByName.put(k.name(), k));
        this.options = config.options();
    }

    @Override
    public String defaultBaseUrl() {
        throw new IllegalStateException("azure has no default base URL");
    }

    @Override
    public WireRequest toWire(ChatCall call, String key) {
        KeyConfig k = keysByName.get(call.keyName());
        Map<String, String> extra = k == null ? Map.of() : k.extra();
        String deployment = extra.getOrDefault(
                "azure_key_config.deployments." + call.model(), options.getOrDefault("deployment", call.model()));
        String apiVersion = extra.getOrDefault(
                "azure_key_config.api_version", options.getOrDefault("api_version", DEFAULT_API_VERSION));
        String path = "/openai/deployments/" + URLEncoder.encode(deployment, StandardCharsets.UTF_8)
                + "/chat/completions?api-version=" + URLEncoder.encode(apiVersion, StandardCharsets.UTF_8);
        return new WireRequest(path, Map.of("api-key", key), Json.bytes(OpenAiWire.requestBody(call)));
    }

    @Override
    public AttemptOutcome fromWire(byte[] body, int status) {
        return OpenAiWire.fromWire(body, status);
    }

    @Override
    public ProviderError parseError(int status, byte[] body) {
        return OpenAiWire.parseError(status, body);
    }

    @Override
    public WireRequest toStreamWire(ChatCall call, String key) {
        return toWire(call, key).withBody(Json.bytes(OpenAiWire.streamRequestBody(call)));
    }

    @Override
    public StreamDecoder streamDecoder(ChatCall call) {
        return new OpenAiStreamDecoder();
    }
}
