package dev.relay.processor.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Merges consecutive OpenAI chunks into one, so a burst of small deltas costs one record: texts are joined, a tool
 * call's argument pieces are joined, and a finish reason may close the merged chunk. Chunks that carry usage, several
 * choices, or follow a finish reason are not merged.
 */
final class ChunkMerge {

    private ChunkMerge() {}

    /** {@code a} followed by {@code b} as one chunk, or null when they cannot be merged. {@code a} is not changed. */
    static ObjectNode merge(ObjectNode a, ObjectNode b) {
        if (!single(a) || !single(b) || hasUsage(a) || hasUsage(b)) {
            return null;
        }
        JsonNode ca = a.get("choices").get(0);
        JsonNode cb = b.get("choices").get(0);
        if (ca.hasNonNull("finish_reason")) {
            return null;
        }
        ObjectNode out = a.deepCopy();
        ObjectNode choice = (ObjectNode) out.get("choices").get(0);
        ObjectNode delta = choice.with("delta");
        JsonNode db = cb.path("delta");
        if (db.hasNonNull("role") && !delta.hasNonNull("role")) {
            delta.put("role", db.get("role").asText());
        }
        for (String field : new String[] {"content", "refusal"}) {
            if (db.path(field).isTextual()) {
                String before = delta.path(field).isTextual() ? delta.get(field).asText() : "";
                delta.put(field, before + db.get(field).asText());
            }
        }
        if (db.path("tool_calls").isArray()) {
            ArrayNode calls = delta.path("tool_calls").isArray()
                    ? (ArrayNode) delta.get("tool_calls")
                    : delta.putArray("tool_calls");
            for (JsonNode piece : db.get("tool_calls")) {
                ObjectNode last = calls.isEmpty() ? null : (ObjectNode) calls.get(calls.size() - 1);
                if (last != null
                        && last.path("index").asInt() == piece.path("index").asInt()
                        && !piece.hasNonNull("id")
                        && !piece.path("function").hasNonNull("name")) {
                    ObjectNode f = last.with("function");
                    f.put(
                            "arguments",
                            f.path("arguments").asText("")
                                    + piece.path("function").path("arguments").asText(""));
                } else {
                    calls.add(piece.deepCopy());
                }
            }
        }
        if (cb.hasNonNull("finish_reason")) {
            choice.put("finish_reason", cb.get("finish_reason").asText());
        }
        return out;
    }

    private static boolean single(ObjectNode chunk) {
        JsonNode choices = chunk.get("choices");
        return choices != null
                && choices.isArray()
                && choices.size() == 1
                && choices.get(0).path("index").asInt(0) == 0;
    }

    private static boolean hasUsage(ObjectNode chunk) {
        return chunk.path("usage").isObject();
    }
}
