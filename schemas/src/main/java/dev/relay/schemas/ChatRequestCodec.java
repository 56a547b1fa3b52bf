package dev.relay.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts between an OpenAI chat-completions request body and the Avro {@link ChatRequest} a {@link Job} carries.
 * {@code model}, {@code fallbacks} and {@code stream} are not part of ChatRequest (the chain and the ingress own them);
 * every other field not typed in the schema survives in {@code extensionJson}.
 */
public final class ChatRequestCodec {

    /** A request body that cannot be a chat request; {@code param} names the offending field (OpenAI's error shape). */
    public static final class InvalidRequestException extends RuntimeException {
        private final String param;

        public InvalidRequestException(String param, String message) {
            super(message);
            this.param = param;
        }

        public String param() {
            return param;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    /** Fields the ingress and the chain own; never copied into the extension. */
    private static final Set<String> OWNED = Set.of(
            "model",
            "fallbacks",
            "stream",
            "stream_options",
            "messages",
            "temperature",
            "top_p",
            "max_tokens",
            "max_completion_tokens",
            "stop",
            "seed",
            "response_format",
            "tools",
            "tool_choice",
            "user",
            "callback_url",
            "metadata",
            "custom_id",
            "deadline");

    private ChatRequestCodec() {}

    public static ChatRequest fromOpenAi(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidRequestException(null, "the request body must be a JSON object");
        }
        JsonNode messagesNode = body.get("messages");
        if (messagesNode == null || messagesNode.isNull()) {
            throw new InvalidRequestException("messages", "'messages' is a required property");
        }
        if (!messagesNode.isArray()) {
            throw new InvalidRequestException("messages", "'messages' must be an array");
        }
        if (messagesNode.isEmpty()) {
            throw new InvalidRequestException("messages", "'messages' must contain at least one message");
        }
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < messagesNode.size(); i++) {
            messages.add(message(messagesNode.get(i), "messages[" + i + "]"));
        }
        ChatRequest.Builder b = ChatRequest.newBuilder()
                .setMessages(messages)
                .setTemperature(number(body, "temperature", 0, 2))
                .setTopP(number(body, "top_p", 0, 1))
                .setMaxTokens(positiveInt(body, "max_tokens"))
                .setMaxCompletionTokens(positiveInt(body, "max_completion_tokens"))
                .setStop(stop(body.get("stop")))
                .setSeed(longOrNull(body, "seed"))
                .setResponseFormatJson(objectJson(body, "response_format"))
                .setToolsJson(arrayJson(body, "tools"))
                .setToolChoiceJson(toolChoice(body.get("tool_choice")))
                .setUser(text(body, "user"));
        ObjectNode extension = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!OWNED.contains(e.getKey())) {
                extension.set(e.getKey(), e.getValue());
            }
        }
        b.setExtensionJson(extension.isEmpty() ? null : extension.toString());
        return b.build();
    }

    /** The OpenAI request body for this request, with {@code model} set. */
    public static ObjectNode toOpenAi(ChatRequest request, String model) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        for (Message m : request.getMessages()) {
            ObjectNode out = messages.addObject();
            out.put("role", m.getRole());
            if (m.getContentIsString()
                    && m.getContent().size() == 1
                    && "text".equals(m.getContent().get(0).getType())) {
                out.put("content", m.getContent().get(0).getText());
            } else if (m.getContent().isEmpty()) {
                out.putNull("content");
            } else {
                ArrayNode parts = out.putArray("content");
                for (ContentPart p : m.getContent()) {
                    ObjectNode part = parts.addObject().put("type", p.getType());
                    if ("image_url".equals(p.getType())) {
                        ObjectNode url = part.putObject("image_url").put("url", p.getImageUrl());
                        if (p.getImageDetail() != null) {
                            url.put("detail", p.getImageDetail());
                        }
                    } else {
                        part.put("text", p.getText());
                    }
                }
            }
            if (m.getName() != null) {
                out.put("name", m.getName());
            }
            if (m.getToolCallId() != null) {
                out.put("tool_call_id", m.getToolCallId());
            }
            if (m.getToolCallsJson() != null) {
                out.set("tool_calls", parse(m.getToolCallsJson()));
            }
        }
        if (request.getTemperature() != null) body.put("temperature", request.getTemperature());
        if (request.getTopP() != null) body.put("top_p", request.getTopP());
        if (request.getMaxTokens() != null) body.put("max_tokens", request.getMaxTokens());
        if (request.getMaxCompletionTokens() != null)
            body.put("max_completion_tokens", request.getMaxCompletionTokens());
        if (!request.getStop().isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            request.getStop().forEach(stop::add);
        }
        if (request.getSeed() != null) body.put("seed", request.getSeed());
        if (request.getResponseFormatJson() != null)
            body.set("response_format", parse(request.getResponseFormatJson()));
        if (request.getToolsJson() != null) body.set("tools", parse(request.getToolsJson()));
        if (request.getToolChoiceJson() != null) body.set("tool_choice", parse(request.getToolChoiceJson()));
        if (request.getUser() != null) body.put("user", request.getUser());
        if (request.getExtensionJson() != null) {
            JsonNode ext = parse(request.getExtensionJson());
            ext.fields().forEachRemaining(e -> {
                if (!body.has(e.getKey())) {
                    body.set(e.getKey(), e.getValue());
                }
            });
        }
        return body;
    }

    private static Message message(JsonNode m, String path) {
        if (m == null || !m.isObject()) {
            throw new InvalidRequestException(path, path + " must be an object");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw new InvalidRequestException(path + ".role", path + ".role is required and must be a string");
        }
        if (!ROLES.contains(role.asText())) {
            throw new InvalidRequestException(
                    path + ".role", path + ".role must be one of " + ROLES + ", got '" + role.asText() + "'");
        }
        Message.Builder b = Message.newBuilder().setRole(role.asText());
        JsonNode content = m.get("content");
        List<ContentPart> parts = new ArrayList<>();
        boolean isString = true;
        if (content == null || content.isNull()) {
            if (!"assistant".equals(role.asText()) || !m.has("tool_calls")) {
                throw new InvalidRequestException(path + ".content", path + ".content is required");
            }
        } else if (content.isTextual()) {
            parts.add(ContentPart.newBuilder()
                    .setType("text")
                    .setText(content.asText())
                    .build());
        } else if (content.isArray()) {
            isString = false;
            for (int i = 0; i < content.size(); i++) {
                parts.add(part(content.get(i), path + ".content[" + i + "]"));
            }
        } else {
            throw new InvalidRequestException(
                    path + ".content", path + ".content must be a string or an array of parts");
        }
        b.setContent(parts).setContentIsString(isString);
        b.setName(text(m, "name"));
        b.setToolCallId(text(m, "tool_call_id"));
        JsonNode toolCalls = m.get("tool_calls");
        if (toolCalls != null && !toolCalls.isNull()) {
            if (!toolCalls.isArray()) {
                throw new InvalidRequestException(path + ".tool_calls", path + ".tool_calls must be an array");
            }
            b.setToolCallsJson(toolCalls.toString());
        }
        return b.build();
    }

    private static ContentPart part(JsonNode p, String path) {
        if (p == null || !p.isObject() || !p.path("type").isTextual()) {
            throw new InvalidRequestException(path, path + " must be an object with a string 'type'");
        }
        String type = p.get("type").asText();
        return switch (type) {
            case "text" -> {
                if (!p.path("text").isTextual()) {
                    throw new InvalidRequestException(path + ".text", path + ".text must be a string");
                }
                yield ContentPart.newBuilder()
                        .setType("text")
                        .setText(p.get("text").asText())
                        .build();
            }
            case "image_url" -> {
                JsonNode img = p.get("image_url");
                String url = img == null
                        ? null
                        : img.isTextual()
                                ? img.asText()
                                : img.path("url").isTextual() ? img.get("url").asText() : null;
                if (url == null) {
                    throw new InvalidRequestException(path + ".image_url", path + ".image_url.url must be a string");
                }
                String detail = img.isObject() && img.path("detail").isTextual()
                        ? img.get("detail").asText()
                        : null;
                yield ContentPart.newBuilder()
                        .setType("image_url")
                        .setImageUrl(url)
                        .setImageDetail(detail)
                        .build();
            }
            default ->
                throw new InvalidRequestException(
                        path + ".type", path + ".type '" + type + "' is not supported; use 'text' or 'image_url'");
        };
    }

    private static Double number(JsonNode body, String field, double min, double max) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            throw new InvalidRequestException(field, "'" + field + "' must be a number");
        }
        double v = n.asDouble();
        if (v < min || v > max) {
            throw new InvalidRequestException(field, "'" + field + "' must be between " + min + " and " + max);
        }
        return v;
    }

    private static Integer positiveInt(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
            throw new InvalidRequestException(field, "'" + field + "' must be a positive integer");
        }
        return n.asInt();
    }

    private static Long longOrNull(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new InvalidRequestException(field, "'" + field + "' must be an integer");
        }
        return n.asLong();
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidRequestException(field, "'" + field + "' must be a string");
        }
        return n.asText();
    }

    private static List<String> stop(JsonNode n) {
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (n.isTextual()) {
            return List.of(n.asText());
        }
        if (n.isArray()) {
            List<String> out = new ArrayList<>();
            for (JsonNode s : n) {
                if (!s.isTextual()) {
                    throw new InvalidRequestException("stop", "'stop' must be a string or an array of strings");
                }
                out.add(s.asText());
            }
            return out;
        }
        throw new InvalidRequestException("stop", "'stop' must be a string or an array of strings");
    }

    private static String objectJson(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw new InvalidRequestException(field, "'" + field + "' must be an object");
        }
        return n.toString();
    }

    private static String arrayJson(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw new InvalidRequestException(field, "'" + field + "' must be an array");
        }
        return n.toString();
    }

    private static String toolChoice(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() && !n.isObject()) {
            throw new InvalidRequestException("tool_choice", "'tool_choice' must be a string or an object");
        }
        return n.toString();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse: " + e.getOriginalMessage(), e);
        }
    }
}
