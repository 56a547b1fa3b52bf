package dev.relay.processor.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.RetryAfter;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.mapping.Completion;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.mapping.Messages;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Google Gemini generateContent: {@code POST {base}/v1beta/models/{model}:generateContent}, key in
 * {@code x-goog-api-key}. System messages go to {@code systemInstruction}; the assistant is role {@code model}; tool
 * calls are {@code functionCall} parts with object {@code args}, tool results {@code functionResponse} parts; JSON
 * mode is {@code responseMimeType: application/json} (with {@code responseSchema} for a json_schema).
 */
public final class GeminiDialect implements Dialect {

    public static final String DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";
    private static final Set<String> FILTERED = Set.of(
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
            "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT",
            "IMAGE_RECITATION");
    /** JSON Schema keywords Gemini's OpenAPI-subset responseSchema rejects. */
    private static final List<String> UNSUPPORTED_SCHEMA_KEYS = List.of("additionalProperties", "$schema", "strict");

    @Override
    public String defaultBaseUrl() {
        return DEFAULT_BASE_URL;
    }

    @Override
    public WireRequest toWire(ChatCall call, String key) {
        JsonNode req = call.request();
        ObjectNode body = Json.object();
        JsonNode messages = req.path("messages");
        String system = Messages.systemPrompt(messages);
        if (!system.isEmpty()) {
            body.putObject("systemInstruction").putArray("parts").addObject().put("text", system);
        }
        body.set("contents", contents(messages));
        ObjectNode gen = Json.object();
        if (req.path("temperature").isNumber()) {
            gen.put("temperature", req.get("temperature").doubleValue());
        }
        if (req.path("top_p").isNumber()) {
            gen.put("topP", req.get("top_p").doubleValue());
        }
        Integer max = Messages.maxTokens(req);
        if (max != null) {
            gen.put("maxOutputTokens", max);
        }
        List<String> stops = Messages.stops(req.get("stop"));
        if (!stops.isEmpty()) {
            ArrayNode s = gen.putArray("stopSequences");
            stops.forEach(s::add);
        }
        if (req.path("seed").isNumber()) {
            gen.put("seed", req.get("seed").intValue());
        }
        String format = req.path("response_format").path("type").asText("");
        if (format.equals("json_object") || format.equals("json_schema")) {
            gen.put("responseMimeType", "application/json");
            JsonNode schema = req.path("response_format").path("json_schema").path("schema");
            if (schema.isObject()) {
                gen.set("responseSchema", stripSchema(schema.deepCopy()));
            }
        }
        if (!gen.isEmpty()) {
            body.set("generationConfig", gen);
        }
        if (req.path("tools").isArray() && !req.get("tools").isEmpty()) {
            ArrayNode decls = body.putArray("tools").addObject().putArray("functionDeclarations");
            for (JsonNode t : req.get("tools")) {
                JsonNode f = t.path("function");
                ObjectNode d = decls.addObject().put("name", f.path("name").asText());
                if (f.hasNonNull("description")) {
                    d.put("description", f.get("description").asText());
                }
                if (f.path("parameters").isObject()) {
                    d.set("parameters", stripSchema(f.get("parameters").deepCopy()));
                }
            }
            JsonNode choice = req.get("tool_choice");
            if (choice != null && !choice.isNull()) {
                ObjectNode fcc = body.putObject("toolConfig").putObject("functionCallingConfig");
                if (choice.isTextual()) {
                    fcc.put(
                            "mode",
                            switch (choice.asText()) {
                                case "required" -> "ANY";
                                case "none" -> "NONE";
                                default -> "AUTO";
                            });
                } else {
                    fcc.put("mode", "ANY")
                            .putArray("allowedFunctionNames")
                            .add(choice.path("function").path("name").asText());
                }
            }
        }
        String model = call.model().startsWith("models/") ? call.model().substring(7) : call.model();
        return new WireRequest(
                "/v1beta/models/" + URLEncoder.encode(model, StandardCharsets.UTF_8) + ":generateContent",
                Map.of("x-goog-api-key", key),
                Json.bytes(body));
    }

    private static ArrayNode contents(JsonNode messages) {
        ArrayNode out = Json.NODES.arrayNode();
        Map<String, String> toolNames = new HashMap<>(); // functionResponse needs the name; OpenAI gives only the id
        ArrayNode toolParts = null;
        for (JsonNode m : messages) {
            String role = m.path("role").asText();
            if (role.equals("system") || role.equals("developer")) {
                continue;
            }
            if (role.equals("tool") || role.equals("function")) {
                if (toolParts == null) {
                    toolParts = out.addObject().put("role", "user").putArray("parts");
                }
                String text = Messages.text(m.get("content"));
                JsonNode parsed = Json.parseArguments(text);
                ObjectNode response =
                        parsed.isObject() ? (ObjectNode) parsed : Json.object().put("content", text);
                String name = toolNames.getOrDefault(
                        m.path("tool_call_id").asText(), m.path("name").asText(""));
                toolParts
                        .addObject()
                        .putObject("functionResponse")
                        .put("name", name)
                        .set("response", response);
                continue;
            }
            ArrayNode parts;
            if (toolParts != null && role.equals("user")) {
                parts = toolParts; // a user turn right after tool results joins them
            } else {
                parts = out.addObject()
                        .put("role", role.equals("assistant") ? "model" : "user")
                        .putArray("parts");
            }
            toolParts = null;
            JsonNode content = m.get("content");
            if (content != null && content.isArray()) {
                for (JsonNode p : content) {
                    if (p.path("type").asText().equals("image_url")) {
                        String url = p.path("image_url").path("url").asText();
                        String[] data = Messages.dataUrl(url);
                        if (data != null) {
                            parts.addObject()
                                    .putObject("inlineData")
                                    .put("mimeType", data[0])
                                    .put("data", data[1]);
                        } else {
                            parts.addObject().putObject("fileData").put("fileUri", url);
                        }
                    } else {
                        parts.addObject().put("text", p.path("text").asText());
                    }
                }
            } else if (content != null && !content.isNull() && !content.asText().isEmpty()) {
                parts.addObject().put("text", content.asText());
            }
            for (JsonNode tc : m.path("tool_calls")) {
                JsonNode f = tc.path("function");
                toolNames.put(tc.path("id").asText(), f.path("name").asText());
                parts.addObject()
                        .putObject("functionCall")
                        .put("name", f.path("name").asText())
                        .set("args", Json.parseArguments(f.path("arguments").asText(null)));
            }
        }
        return out;
    }

    private static JsonNode stripSchema(JsonNode schema) {
        if (schema.isObject()) {
            ((ObjectNode) schema).remove(UNSUPPORTED_SCHEMA_KEYS);
            schema.forEach(GeminiDialect::stripSchema);
        } else if (schema.isArray()) {
            schema.forEach(GeminiDialect::stripSchema);
        }
        return schema;
    }

    @Override
    public AttemptOutcome fromWire(byte[] bytes, int status) {
        JsonNode root = Json.parse(bytes).orElse(null);
        if (root == null || !root.isObject()) {
            return Failure.of(Classifier.unusableBody(), status, null, null, "response body is not a JSON object");
        }
        JsonNode candidates = root.path("candidates");
        String blocked = Json.text(root.path("promptFeedback"), "blockReason");
        if (!candidates.isArray() || candidates.isEmpty()) {
            if (blocked != null) {
                return Failure.of(
                        FailureClass.CONTENT_FILTERED,
                        status,
                        null,
                        blocked,
                        "Gemini blocked the prompt (promptFeedback.blockReason " + blocked + ")");
            }
            return Failure.of(Classifier.unusableBody(), status, null, null, "response has no candidates");
        }
        JsonNode cand = candidates.get(0);
        Completion c = new Completion(
                root.path("responseId").asText("gemini"),
                root.path("modelVersion").asText(""),
                System.currentTimeMillis() / 1000);
        StringBuilder text = new StringBuilder();
        int i = 0;
        for (JsonNode p : cand.path("content").path("parts")) {
            if (p.path("thought").asBoolean(false)) {
                continue;
            }
            if (p.has("text")) {
                text.append(p.get("text").asText());
            } else if (p.has("functionCall")) {
                JsonNode fc = p.get("functionCall");
                c.toolCall(
                        fc.path("id").asText("call_" + i),
                        fc.path("name").asText(),
                        Json.write(fc.path("args").isObject() ? fc.get("args") : Json.object()));
            }
            i++;
        }
        String reason = cand.path("finishReason").asText("");
        String finish = FILTERED.contains(reason)
                ? "content_filter"
                : reason.equals("MAX_TOKENS") ? "length" : c.hasToolCalls() ? "tool_calls" : "stop";
        if (finish.equals("content_filter") && text.isEmpty() && !c.hasToolCalls()) {
            return Failure.of(
                    FailureClass.CONTENT_FILTERED,
                    status,
                    null,
                    reason,
                    "Gemini withheld the answer (finishReason " + reason + ")");
        }
        if (text.isEmpty() && !c.hasToolCalls() && reason.isEmpty()) {
            return Failure.of(
                    Classifier.unusableBody(), status, null, null, "candidate has no parts and no finishReason");
        }
        if (!text.isEmpty()) {
            c.content(text.toString());
        }
        JsonNode u = root.path("usageMetadata");
        Integer out = Json.integer(u, "candidatesTokenCount");
        if (out != null) {
            out += u.path("thoughtsTokenCount").asInt(0);
        }
        return c.finishReason(finish)
                .usage(Json.integer(u, "promptTokenCount"), out)
                .success(status);
    }

    /** {@code :streamGenerateContent?alt=sse}: the same body, answered as server-sent events. */
    @Override
    public WireRequest toStreamWire(ChatCall call, String key) {
        WireRequest plain = toWire(call, key);
        String path = plain.pathAndQuery().replace(":generateContent", ":streamGenerateContent?alt=sse");
        return new WireRequest(path, plain.headers(), plain.body());
    }

    @Override
    public StreamDecoder streamDecoder(ChatCall call) {
        return new GeminiStreamDecoder(call.model());
    }

    /**
     * Google RPC errors: {@code {"error":{"code","message","status","details":[...]}}}; the type is {@code status}
     * (INVALID_ARGUMENT...), the code the first {@code ErrorInfo.reason} (API_KEY_INVALID...), and a
     * {@code RetryInfo.retryDelay} becomes the retry delay.
     */
    @Override
    public ProviderError parseError(int status, byte[] bytes) {
        JsonNode e = Json.parse(bytes).map(r -> r.path("error")).orElse(null);
        if (e == null || !e.isObject()) {
            return ProviderError.of(null, null, null);
        }
        String reason = null;
        Optional<Duration> retry = Optional.empty();
        for (JsonNode d : e.path("details")) {
            if (reason == null && d.hasNonNull("reason")) {
                reason = d.get("reason").asText();
            }
            if (d.hasNonNull("retryDelay")) {
                retry = RetryAfter.fromProtoDuration(d.get("retryDelay").asText());
            }
        }
        return new ProviderError(Json.text(e, "status"), reason, Json.text(e, "message"), retry);
    }
}
