package dev.relay.processor.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.provider.ChunkFactory;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.stream.Decoded;
import dev.relay.processor.provider.stream.SseEvent;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Gemini's {@code :streamGenerateContent?alt=sse}: each event is a whole {@code GenerateContentResponse} holding the
 * next parts. Text parts become content, {@code functionCall} parts whole tool calls (Gemini sends a call in one
 * piece), {@code finishReason} the finish chunk (mapped as in {@link GeminiDialect}), a {@code promptFeedback
 * .blockReason} without candidates {@code content_filter}. Gemini has no end event: the body's end is the end, and
 * the last {@code usageMetadata} (cumulative) becomes the usage chunk then. An {@code error} object is an error event.
 */
public final class GeminiStreamDecoder implements StreamDecoder {

    private static final Set<String> FILTERED = Set.of(
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
            "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT",
            "IMAGE_RECITATION");

    private final ChunkFactory chunks;
    private boolean started;
    private int toolCalls;
    private boolean finished;
    private JsonNode usage;

    public GeminiStreamDecoder(String model) {
        this.chunks = new ChunkFactory("gemini", model, System.currentTimeMillis() / 1000);
    }

    @Override
    public Decoded decode(SseEvent event) {
        JsonNode root =
                Json.parse(event.data().getBytes(StandardCharsets.UTF_8)).orElse(null);
        if (root == null || !root.isObject()) {
            return new Decoded.Malformed("not a JSON object");
        }
        if (root.path("error").isObject()) {
            JsonNode code = root.get("error").path("code");
            int status = code.isInt() && code.intValue() >= 400 ? code.intValue() : 500;
            return new Decoded.Error(
                    status, new GeminiDialect().parseError(status, event.data().getBytes(StandardCharsets.UTF_8)));
        }
        chunks.id(Json.text(root, "responseId"));
        chunks.model(Json.text(root, "modelVersion"));
        if (root.path("usageMetadata").isObject()) {
            usage = root.get("usageMetadata");
        }
        List<ObjectNode> out = new ArrayList<>();
        if (!started) {
            started = true;
            out.add(chunks.role());
        }
        JsonNode candidates = root.path("candidates");
        String blocked = Json.text(root.path("promptFeedback"), "blockReason");
        if ((!candidates.isArray() || candidates.isEmpty()) && blocked != null) {
            finished = true;
            out.add(chunks.finish("content_filter"));
            return new Decoded.Chunks(out);
        }
        JsonNode cand = candidates.path(0);
        for (JsonNode p : cand.path("content").path("parts")) {
            if (p.path("thought").asBoolean(false)) {
                continue;
            }
            if (p.path("text").isTextual() && !p.get("text").asText().isEmpty()) {
                out.add(chunks.text(p.get("text").asText()));
            } else if (p.path("functionCall").isObject()) {
                JsonNode fc = p.get("functionCall");
                int index = toolCalls++;
                out.add(chunks.toolCall(
                        index,
                        fc.path("id").asText("call_" + index),
                        fc.path("name").asText(),
                        Json.write(fc.path("args").isObject() ? fc.get("args") : Json.object())));
            }
        }
        String reason = Json.text(cand, "finishReason");
        if (reason != null && !reason.equals("FINISH_REASON_UNSPECIFIED")) {
            finished = true;
            out.add(chunks.finish(
                    FILTERED.contains(reason)
                            ? "content_filter"
                            : reason.equals("MAX_TOKENS") ? "length" : toolCalls > 0 ? "tool_calls" : "stop"));
        }
        return new Decoded.Chunks(out);
    }

    @Override
    public List<ObjectNode> finish() {
        if (!finished) {
            return List.of();
        }
        Integer out = Json.integer(usage, "candidatesTokenCount");
        if (out != null) {
            out += usage.path("thoughtsTokenCount").asInt(0);
        }
        return List.of(chunks.usage(Json.integer(usage, "promptTokenCount"), out));
    }
}
