package dev.relay.processor.provider.anthropic;

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
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.mapping.Completion;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.mapping.Messages;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic Messages: {@code POST {base}/v1/messages} with {@code x-api-key} and {@code anthropic-version:
 * 2023-06-01}. System messages go to the top-level {@code system}; tool calls become {@code tool_use} blocks with an
 * object {@code input}; tool results become {@code tool_result} blocks in a user message; {@code max_tokens} is
 * required, so {@code default_max_tokens} (option, default 4096) fills it in. Anthropic has no JSON mode: JSON mode
 * becomes a system instruction. {@code temperature} is capped at 1 (Anthropic's maximum).
 */
public final class AnthropicDialect implements Dialect {

    public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
    public static final String API_VERSION = "2023-06-01";
    public static final int DEFAULT_MAX_TOKENS = 4096;

    private final int defaultMaxTokens;

    public AnthropicDialect(Map<String, String> options) {
        this.defaultMaxTokens = Integer.parseInt(options.getOrDefault("default_max_tokens", "" + DEFAULT_MAX_TOKENS));
    }

    @Override
    public String defaultBaseUrl() {
        return DEFAULT_BASE_URL;
    }

    @Override
    public WireRequest toWire(ChatCall call, String key) {
        JsonNode req = call.request();
        ObjectNode body = Json.object();
        body.put("model", call.model());
        Integer max = Messages.maxTokens(req);
        body.put("max_tokens", max != null ? max : defaultMaxTokens);
        String system = join(Messages.systemPrompt(req.path("messages")), Messages.jsonModeInstruction(req));
        if (!system.isEmpty()) {
            body.put("system", system);
        }
        body.set("messages", messages(req.path("messages")));
        if (req.path("temperature").isNumber()) {
            body.put("temperature", Math.min(1.0, req.get("temperature").doubleValue()));
        }
        if (req.path("top_p").isNumber()) {
            body.put("top_p", req.get("top_p").doubleValue());
        }
        List<String> stops = Messages.stops(req.get("stop"));
        if (!stops.isEmpty()) {
            ArrayNode s = body.putArray("stop_sequences");
            stops.forEach(s::add);
        }
        if (req.path("tools").isArray() && !req.get("tools").isEmpty()) {
            ArrayNode tools = body.putArray("tools");
            for (JsonNode t : req.get("tools")) {
                JsonNode f = t.path("function");
                ObjectNode tool = tools.addObject().put("name", f.path("name").asText());
                if (f.hasNonNull("description")) {
                    tool.put("description", f.get("description").asText());
                }
                tool.set(
                        "input_schema",
                        f.hasNonNull("parameters")
                                ? f.get("parameters")
                                : Json.object().put("type", "object"));
            }
            JsonNode choice = toolChoice(req.get("tool_choice"));
            if (choice != null) {
                body.set("tool_choice", choice);
            }
        }
        return new WireRequest(
                "/v1/messages", Map.of("x-api-key", key, "anthropic-version", API_VERSION), Json.bytes(body));
    }

    private static ArrayNode messages(JsonNode in) {
        ArrayNode out = Json.NODES.arrayNode();
        ArrayNode toolResults = null; // consecutive tool messages share one user turn, as Anthropic requires
        for (JsonNode m : in) {
            String role = m.path("role").asText();
            if (role.equals("system") || role.equals("developer")) {
                continue;
            }
            if (role.equals("tool") || role.equals("function")) {
                if (toolResults == null) {
                    toolResults = out.addObject().put("role", "user").putArray("content");
                }
                toolResults
                        .addObject()
                        .put("type", "tool_result")
                        .put("tool_use_id", m.path("tool_call_id").asText())
                        .put("content", Messages.text(m.get("content")));
                continue;
            }
            JsonNode content = m.get("content");
            JsonNode calls = m.get("tool_calls");
            boolean hasCalls = calls != null && calls.isArray() && !calls.isEmpty();
            ArrayNode blocks;
            if (toolResults != null && role.equals("user")) {
                blocks = toolResults; // a user turn right after tool results joins them (roles must alternate)
            } else {
                ObjectNode msg = out.addObject().put("role", role.equals("assistant") ? "assistant" : "user");
                if (!hasCalls && (content == null || content.isTextual() || content.isNull())) {
                    msg.put("content", content == null || content.isNull() ? "" : content.asText());
                    toolResults = null;
                    continue;
                }
                blocks = msg.putArray("content");
            }
            toolResults = null;
            if (content != null && content.isArray()) {
                for (JsonNode p : content) {
                    block(p, blocks);
                }
            } else if (content != null
                    && content.isTextual()
                    && !content.asText().isEmpty()) {
                blocks.addObject().put("type", "text").put("text", content.asText());
            }
            if (hasCalls) {
                for (JsonNode c : calls) {
                    JsonNode f = c.path("function");
                    blocks.addObject()
                            .put("type", "tool_use")
                            .put("id", c.path("id").asText())
                            .put("name", f.path("name").asText())
                            .set(
                                    "input",
                                    Json.parseArguments(f.path("arguments").asText(null)));
                }
            }
        }
        return out;
    }

    private static void block(JsonNode part, ArrayNode blocks) {
        String type = part.path("type").asText();
        if (type.equals("image_url")) {
            String url = part.path("image_url").path("url").asText();
            String[] data = Messages.dataUrl(url);
            ObjectNode source = blocks.addObject().put("type", "image").putObject("source");
            if (data != null) {
                source.put("type", "base64").put("media_type", data[0]).put("data", data[1]);
            } else {
                source.put("type", "url").put("url", url);
            }
        } else {
            blocks.addObject().put("type", "text").put("text", part.path("text").asText());
        }
    }

    private static JsonNode toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "required" -> Json.object().put("type", "any");
                case "none" -> Json.object().put("type", "none");
                default -> Json.object().put("type", "auto");
            };
        }
        return Json.object()
                .put("type", "tool")
                .put("name", choice.path("function").path("name").asText());
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "\n\n" + b;
    }

    @Override
    public AttemptOutcome fromWire(byte[] bytes, int status) {
        Optional<JsonNode> parsed = Json.parse(bytes);
        JsonNode root = parsed.orElse(null);
        if (root == null || !root.isObject() || !root.path("content").isArray()) {
            return Failure.of(Classifier.unusableBody(), status, null, null, "response is not an Anthropic message");
        }
        Completion c = new Completion(
                root.path("id").asText("msg"), root.path("model").asText(""), System.currentTimeMillis() / 1000);
        StringBuilder text = new StringBuilder();
        for (JsonNode b : root.get("content")) {
            switch (b.path("type").asText()) {
                case "text" -> text.append(b.path("text").asText());
                case "tool_use" ->
                    c.toolCall(
                            b.path("id").asText(),
                            b.path("name").asText(),
                            Json.write(b.path("input").isMissingNode() ? Json.object() : b.get("input")));
                default -> {} // thinking and server-tool blocks have no OpenAI equivalent
            }
        }
        String stop = root.path("stop_reason").asText("");
        String finish = switch (stop) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop"; // end_turn, stop_sequence, pause_turn
        };
        if (finish.equals("content_filter") && text.isEmpty() && !c.hasToolCalls()) {
            return Failure.of(
                    FailureClass.CONTENT_FILTERED,
                    status,
                    null,
                    "refusal",
                    "Anthropic refused the request (stop_reason refusal)");
        }
        if (text.isEmpty() && !c.hasToolCalls() && stop.isEmpty()) {
            return Failure.of(
                    Classifier.unusableBody(), status, null, null, "message has no content and no stop_reason");
        }
        if (!text.isEmpty()) {
            c.content(text.toString());
        }
        JsonNode u = root.path("usage");
        Integer in = Json.integer(u, "input_tokens");
        if (in != null) {
            in += u.path("cache_creation_input_tokens").asInt(0)
                    + u.path("cache_read_input_tokens").asInt(0);
        }
        return c.finishReason(finish)
                .usage(in, Json.integer(u, "output_tokens"))
                .success(status);
    }

    @Override
    public WireRequest toStreamWire(ChatCall call, String key) {
        WireRequest plain = toWire(call, key);
        ObjectNode body = (ObjectNode) Json.parse(plain.body()).orElseThrow();
        body.put("stream", true);
        return plain.withBody(Json.bytes(body));
    }

    @Override
    public StreamDecoder streamDecoder(ChatCall call) {
        return new AnthropicStreamDecoder(call.model());
    }

    /** {@code {"type":"error","error":{"type":...,"message":...}}}; a spend-limit code sits in error.details. */
    @Override
    public ProviderError parseError(int status, byte[] bytes) {
        JsonNode e = Json.parse(bytes).map(r -> r.path("error")).orElse(null);
        if (e == null || !e.isObject()) {
            return ProviderError.of(null, null, null);
        }
        return ProviderError.of(
                Json.text(e, "type"), Json.text(e.path("details"), "error_code"), Json.text(e, "message"));
    }
}
