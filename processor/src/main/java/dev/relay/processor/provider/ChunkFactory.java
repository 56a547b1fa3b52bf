package dev.relay.processor.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.provider.mapping.Json;

/**
 * Builds OpenAI {@code chat.completion.chunk} objects for dialects that are not OpenAI-shaped: one choice (index 0)
 * whose delta carries a role, a piece of text, a piece of a tool call, or a finish reason; or the usage chunk
 * ({@code choices: []}) that {@code stream_options.include_usage} asks for.
 */
public final class ChunkFactory {

    private String id;
    private String model;
    private final long created;

    public ChunkFactory(String id, String model, long created) {
        this.id = id;
        this.model = model;
        this.created = created;
    }

    public void id(String newId) {
        if (newId != null && !newId.isEmpty()) {
            this.id = newId;
        }
    }

    public void model(String newModel) {
        if (newModel != null && !newModel.isEmpty()) {
            this.model = newModel;
        }
    }

    public ObjectNode role() {
        ObjectNode c = base();
        delta(c).put("role", "assistant").put("content", "");
        return c;
    }

    public ObjectNode text(String text) {
        ObjectNode c = base();
        delta(c).put("content", text);
        return c;
    }

    /** A tool call's first piece ({@code id} and {@code name} set) or a later piece of its arguments. */
    public ObjectNode toolCall(int index, String callId, String name, String arguments) {
        ObjectNode c = base();
        ObjectNode call = delta(c).putArray("tool_calls").addObject().put("index", index);
        if (callId != null) {
            call.put("id", callId).put("type", "function");
        }
        ObjectNode f = call.putObject("function");
        if (name != null) {
            f.put("name", name);
        }
        f.put("arguments", arguments == null ? "" : arguments);
        return c;
    }

    public ObjectNode finish(String finishReason) {
        ObjectNode c = base();
        ObjectNode choice = (ObjectNode) c.get("choices").get(0);
        choice.putObject("delta");
        choice.put("finish_reason", finishReason);
        return c;
    }

    public ObjectNode usage(Integer prompt, Integer completion) {
        ObjectNode c = Json.object();
        c.put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", created)
                .put("model", model);
        c.putArray("choices");
        int p = prompt == null ? 0 : prompt;
        int k = completion == null ? 0 : completion;
        c.putObject("usage").put("prompt_tokens", p).put("completion_tokens", k).put("total_tokens", p + k);
        return c;
    }

    private ObjectNode base() {
        ObjectNode c = Json.object();
        c.put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", created)
                .put("model", model);
        ArrayNode choices = c.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.putObject("delta");
        choice.putNull("finish_reason");
        return c;
    }

    private static ObjectNode delta(ObjectNode chunk) {
        return (ObjectNode) chunk.get("choices").get(0).get("delta");
    }

    /** Whether a chunk carries content the caller can see: text, a refusal or a piece of a tool call. */
    public static boolean hasContent(JsonNode chunk) {
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode d = choice.path("delta");
            if (d.path("content").isTextual() && !d.get("content").asText().isEmpty()) {
                return true;
            }
            if (d.path("refusal").isTextual() && !d.get("refusal").asText().isEmpty()) {
                return true;
            }
            if (d.path("tool_calls").isArray() && !d.get("tool_calls").isEmpty()) {
                return true;
            }
        }
        return false;
    }
}
