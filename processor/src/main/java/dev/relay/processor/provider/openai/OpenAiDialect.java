package dev.relay.processor.provider.openai;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.OpenAiWire;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.util.Map;

/**
 * OpenAI Chat Completions: {@code POST {base}/v1/chat/completions} with {@code Authorization: Bearer <key>}. The
 * generic OpenAI-compatible and OpenRouter adapters reuse it with another path.
 */
public final class OpenAiDialect implements Dialect {

    public static final String DEFAULT_BASE_URL = "https://api.openai.com";

    private final String defaultBaseUrl;
    private final String path;

    public OpenAiDialect() {
        this(DEFAULT_BASE_URL, "/v1/chat/completions");
    }

    public OpenAiDialect(String defaultBaseUrl, String path) {
        this.defaultBaseUrl = defaultBaseUrl;
        this.path = path;
    }

    @Override
    public String defaultBaseUrl() {
        return defaultBaseUrl;
    }

    @Override
    public WireRequest toWire(ChatCall call, String key) {
        return new WireRequest(
                path, Map.of("Authorization", "Bearer " + key), Json.bytes(OpenAiWire.requestBody(call)));
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
        return new WireRequest(
                path, Map.of("Authorization", "Bearer " + key), Json.bytes(OpenAiWire.streamRequestBody(call)));
    }

    @Override
    public StreamDecoder streamDecoder(ChatCall call) {
        return new OpenAiStreamDecoder();
    }
}
