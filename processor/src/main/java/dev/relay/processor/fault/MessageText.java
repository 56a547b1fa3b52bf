package dev.relay.processor.fault;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The text a rule's {@code message_regex} is matched against: every message's text content (string content, or the
 * {@code text} parts of multi-part content) joined by single spaces, as Bifrost's mocker does.
 */
public final class MessageText {

    private MessageText() {}

    /** From an OpenAI chat request body ({@code messages[].content}). */
    public static String of(JsonNode request) {
        StringBuilder out = new StringBuilder();
        if (request == null) {
            return "";
        }
        for (JsonNode m : request.path("messages")) {
            JsonNode content = m.path("content");
            if (content.isTextual()) {
                append(out, content.asText());
            } else if (content.isArray()) {
                for (JsonNode part : content) {
                    if (part.path("text").isTextual()) {
                        append(out, part.path("text").asText());
                    }
                }
            }
        }
        return out.toString();
    }

    private static void append(StringBuilder out, String text) {
        if (!out.isEmpty()) {
            out.append(' ');
        }
        out.append(text);
    }
}
