package dev.relay.processor.provider.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reading OpenAI-shaped request messages, for the adapters that must translate them. */
public final class Messages {

    private Messages() {}

    /** The text of a message's content: the string itself, or its text parts joined by newlines. */
    public static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            List<String> parts = new ArrayList<>();
            for (JsonNode p : content) {
                if ("text".equals(Json.text(p, "type")) || p.has("text")) {
                    parts.add(p.path("text").asText());
                }
            }
            return String.join("\n", parts);
        }
        return content.asText();
    }

    /** The system prompt: every {@code system}/{@code developer} message's text, joined by a blank line. */
    public static String systemPrompt(JsonNode messages) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode m : messages) {
            String role = Json.text(m, "role");
            if ("system".equals(role) || "developer".equals(role)) {
                if (!sb.isEmpty()) {
                    sb.append("\n\n");
                }
                sb.append(text(m.get("content")));
            }
        }
        return sb.toString();
    }

    /** A data URL split into media type and base64 data; null when {@code url} is not a base64 data URL. */
    public static String[] dataUrl(String url) {
        if (url == null || !url.startsWith("data:")) {
            return null;
        }
        int semi = url.indexOf(";base64,");
        if (semi < 0) {
            return null;
        }
        return new String[] {url.substring(5, semi), url.substring(semi + 8)};
    }

    /** Stop sequences from {@code stop}: a string or an array. */
    public static List<String> stops(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return out;
        }
        if (stop.isArray()) {
            stop.forEach(s -> out.add(s.asText()));
        } else {
            out.add(stop.asText());
        }
        return out;
    }

    /** {@code max_completion_tokens}, else {@code max_tokens}, else null. */
    public static Integer maxTokens(JsonNode request) {
        JsonNode v = request.get("max_completion_tokens");
        if (v == null || !v.isNumber()) {
            v = request.get("max_tokens");
        }
        return v != null && v.isNumber() ? v.intValue() : null;
    }

    /** The system instruction JSON mode needs where the provider has no JSON switch; empty when not JSON mode. */
    public static String jsonModeInstruction(JsonNode request) {
        JsonNode rf = request.get("response_format");
        String type = Json.text(rf, "type");
        if ("json_object".equals(type)) {
            return "Respond with a single valid JSON object and nothing else.";
        }
        if ("json_schema".equals(type)) {
            JsonNode schema = rf.path("json_schema").path("schema");
            return "Respond with a single valid JSON object and nothing else, matching this JSON Schema: "
                    + Json.write(schema);
        }
        return "";
    }
}
