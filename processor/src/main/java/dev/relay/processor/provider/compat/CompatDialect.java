package dev.relay.processor.provider.compat;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.openai.OpenAiDialect;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.net.URI;
import java.util.regex.Pattern;

/**
 * Any OpenAI-compatible server (Groq, Mistral, Ollama, vLLM, Together, DeepSeek, ...), chosen by {@code base_url}.
 *
 * <p>Path rule: {@code base_url} normally excludes the version path, as for OpenAI, and Relay appends
 * {@code /v1/chat/completions}. When {@code base_url}'s path already ends with a version segment ({@code /v1},
 * {@code /v2}, {@code /v1beta}, ... such as Groq's {@code https://api.groq.com/openai/v1}), Relay appends only
 * {@code /chat/completions}.
 */
public final class CompatDialect implements Dialect {

    private static final Pattern VERSION_SUFFIX = Pattern.compile(".*/v\\d+[a-z0-9]*/?$");

    private final OpenAiDialect openAi;

    public CompatDialect(URI baseUrl) {
        this.openAi = new OpenAiDialect(baseUrl.toString(), path(baseUrl));
    }

    /** The path appended to {@code baseUrl} (see the class comment). */
    public static String path(URI baseUrl) {
        String p = baseUrl.getPath() == null ? "" : baseUrl.getPath();
        return VERSION_SUFFIX.matcher(p).matches() ? "/chat/completions" : "/v1/chat/completions";
    }

    @Override
    public String defaultBaseUrl() {
        return openAi.defaultBaseUrl();
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
