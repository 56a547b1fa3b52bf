package dev.relay.processor.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** A whole {@code chat.completion} as the chunks a stream of it would have carried (for clients that cannot stream). */
public final class CompletionChunks {

    private CompletionChunks() {}

    public static List<ObjectNode> of(JsonNode completion) {
        ChunkFactory f = new ChunkFactory(
                completion.path("id").asText("chatcmpl-relay"),
                completion.path("model").asText(""),
                completion.path("created").asLong(System.currentTimeMillis() / 1000));
        List<ObjectNode> out = new ArrayList<>();
        JsonNode choice = completion.path("choices").path(0);
        JsonNode message = choice.path("message");
        out.add(f.role());
        if (message.path("content").isTextual()
                && !message.get("content").asText().isEmpty()) {
            out.add(f.text(message.get("content").asText()));
        }
        int i = 0;
        for (JsonNode tc : message.path("tool_calls")) {
            JsonNode fn = tc.path("function");
            out.add(f.toolCall(
                    i++,
                    tc.path("id").asText(null),
                    fn.path("name").asText(null),
                    fn.path("arguments").asText("")));
        }
        out.add(f.finish(choice.path("finish_reason").asText("stop")));
        JsonNode u = completion.path("usage");
        if (u.isObject()) {
            out.add(f.usage(
                    u.path("prompt_tokens").isInt() ? u.get("prompt_tokens").intValue() : null,
                    u.path("completion_tokens").isInt()
                            ? u.get("completion_tokens").intValue()
                            : null));
        }
        return out;
    }
}
