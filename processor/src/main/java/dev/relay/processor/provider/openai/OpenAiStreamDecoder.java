package dev.relay.processor.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.provider.OpenAiWire;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.stream.Decoded;
import dev.relay.processor.provider.stream.SseEvent;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * OpenAI's stream ({@code stream: true}, {@code stream_options.include_usage}) and every OpenAI-compatible one:
 * {@code data: {chat.completion.chunk}} events ended by {@code data: [DONE]}. Chunks pass through; Mistral's
 * {@code model_length} becomes {@code length}; Groq's {@code x_groq.usage} becomes {@code usage}. An {@code event:
 * error} or a data object with an {@code error} field (OpenAI's in-stream {@code insufficient_quota}, OpenRouter's
 * errors after generation started) is an error event.
 */
public final class OpenAiStreamDecoder implements StreamDecoder {

    /** The status an in-stream error is classified with when it carries no numeric code of its own. */
    static final int IN_STREAM_ERROR_STATUS = 502;

    @Override
    public Decoded decode(SseEvent event) {
        String data = event.data().trim();
        if (data.equals("[DONE]")) {
            return new Decoded.End(List.of());
        }
        if (data.isEmpty()) {
            return Decoded.NOTHING;
        }
        JsonNode node = Json.parse(data.getBytes(StandardCharsets.UTF_8)).orElse(null);
        if (node == null || !node.isObject()) {
            return new Decoded.Malformed("not a JSON object");
        }
        if ("error".equals(event.event())
                || node.path("error").isObject()
                || node.path("error").isTextual()) {
            return error(node);
        }
        ObjectNode chunk = (ObjectNode) node;
        if (!chunk.path("choices").isArray()) {
            return new Decoded.Malformed("a chunk without choices");
        }
        for (JsonNode choice : chunk.get("choices")) {
            if ("model_length".equals(Json.text(choice, "finish_reason"))) {
                ((ObjectNode) choice).put("finish_reason", "length");
            }
            if ("error".equals(Json.text(choice, "finish_reason"))) {
                // Mistral ends a failed generation with finish_reason "error"
                return new Decoded.Error(
                        IN_STREAM_ERROR_STATUS,
                        ProviderError.of(
                                "server_error", null, "the provider ended the stream with finish_reason error"));
            }
        }
        JsonNode groqUsage = chunk.path("x_groq").path("usage");
        if (!chunk.path("usage").isObject() && groqUsage.isObject()) {
            chunk.set("usage", groqUsage);
        }
        chunk.put("object", "chat.completion.chunk");
        return Decoded.of(chunk);
    }

    private static Decoded error(JsonNode node) {
        byte[] bytes = Json.bytes(node);
        ProviderError e = OpenAiWire.parseError(0, bytes);
        JsonNode code = node.path("error").path("code");
        int status = code.isInt() && code.intValue() >= 400 ? code.intValue() : IN_STREAM_ERROR_STATUS;
        return new Decoded.Error(status, e);
    }

    @Override
    public List<ObjectNode> finish() {
        return List.of();
    }
}
