package dev.relay.processor.provider.openrouter;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.openai.OpenAiDialect;
import dev.relay.processor.provider.stream.StreamDecoder;

/**
 * OpenRouter: the OpenAI shape at {@code POST {base}/api/v1/chat/completions}, default base
 * {@code https://openrouter.ai}. Its optional {@code HTTP-Referer} and {@code X-Title} headers come from
 * {@code network_config.extra_headers}. Its error {@code code} is a number (the HTTP status); a 403 whose
 * {@code metadata} carries moderation {@code reasons} is parsed as type {@code moderation} (content filtered).
 */
public final class OpenRouterDialect implements Dialect {

    public static final String DEFAULT_BASE_URL = "https://openrouter.ai";

    private final OpenAiDialect openAi = new OpenAiDialect(DEFAULT_BASE_URL, "/api/v1/chat/completions");

    @Override
    public String defaultBaseUrl() {
        return DEFAULT_BASE_URL;
    }

    @Override
    public WireRequest toWire(ChatCall call, String key) {
        return openAi.toWire(call, key);
    }

    @Override
    public AttemptOutcome fromWire(byte[] body, int status) {
        return openAi.fromWire(body, status);
    }

    @Override
    public ProviderError parseError(int status, byte[] body) {
        return openAi.parseError(status, body);
    }

    @Override
    public WireRequest toStreamWire(ChatCall call, String key) {
        return openAi.toStreamWire(call, key);
    }

    @Override
    public StreamDecoder streamDecoder(ChatCall call) {
        return openAi.streamDecoder(call);
    }
}
