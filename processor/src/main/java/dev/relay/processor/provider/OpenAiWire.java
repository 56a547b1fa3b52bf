package dev.relay.processor.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.AttemptOutcome.Usage;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.mapping.Messages;
import java.util.List;
import java.util.Optional;

/**
 * The OpenAI Chat Completions wire format, shared by every OpenAI-shaped adapter (openai, azure, openrouter and the
 * generic OpenAI-compatible one). Requests pass through almost as they are; answers are checked, not rebuilt.
 */
public final class OpenAiWire {

    /** Fields Relay's ingress or chain own, which must not reach a provider. */
    private static final List<String> GATEWAY_FIELDS =
            List.of("fallbacks", "callback_url", "custom_id", "deadline", "stream", "stream_options");

    private OpenAiWire() {}

    /** The request body: the caller's OpenAI request with this target's model and without gateway-only fields. */
    public static ObjectNode requestBody(ChatCall call) {
        ObjectNode body = call.request().deepCopy();
        body.put("model", call.model());
        body.remove(GATEWAY_FIELDS);
        return body;
    }

    /**
     * Checks a 2xx body. A {@code chat.completion} without a usable first choice is TRUNCATED. A choice with
     * {@code finish_reason: content_filter} and neither content nor tool calls is CONTENT_FILTERED; with content it
     * is a success that keeps the finish reason, so the caller gets the partial answer and can see it was filtered.
     */
    public static AttemptOutcome fromWire(byte[] bytes, int status) {
        Optional<JsonNode> parsed = Json.parse(bytes);
        if (parsed.isEmpty() || !parsed.get().isObject()) {
            return Failure.of(Classifier.unusableBody(), status, null, null, "response body is not a JSON object");
        }
        ObjectNode body = (ObjectNode) parsed.get();
        JsonNode error = body.get("error");
        if (error != null && error.isObject()) {
            // OpenRouter reports failures after generation started as a 200 with an error body
            ProviderError e = parseError(status, bytes);
            int effective = error.path("code").isInt() ? error.path("code").intValue() : 502;
            return Failure.of(
                    Classifier.classify(effective, e.type(), e.code(), e.message()),
                    status,
                    e.type(),
                    e.code(),
                    e.message());
        }
        JsonNode choices = body.get("choices");
        if (choices == null
                || !choices.isArray()
                || choices.isEmpty()
                || !choices.get(0).path("message").isObject()) {
            return Failure.of(Classifier.unusableBody(), status, null, null, "response has no choice with a message");
        }
        ObjectNode choice = (ObjectNode) choices.get(0);
        JsonNode message = choice.get("message");
        String finish = Json.text(choice, "finish_reason");
        if ("model_length".equals(finish)) {
            choice.put("finish_reason", "length"); // Mistral's name for it
        }
        boolean hasContent = !Messages.text(message.get("content")).isEmpty()
                || (message.path("tool_calls").isArray()
                        && !message.path("tool_calls").isEmpty());
        if ("content_filter".equals(finish) && !hasContent) {
            return Failure.of(
                    FailureClass.CONTENT_FILTERED,
                    status,
                    null,
                    "content_filter",
                    "the provider's content filter withheld the completion");
        }
        body.putIfAbsent("object", Json.NODES.textNode("chat.completion"));
        return new AttemptOutcome.Success(body, status, usage(body.get("usage")));
    }

    /** The request body in streaming mode: {@code stream: true}, and the usage chunk asked for. */
    public static ObjectNode streamRequestBody(ChatCall call) {
        ObjectNode body = requestBody(call);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        return body;
    }

    public static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Usage.NONE;
        }
        return new Usage(
                Json.integer(usage, "prompt_tokens"),
                Json.integer(usage, "completion_tokens"),
                Json.integer(usage, "total_tokens"));
    }

    /**
     * Parses the error shapes OpenAI-compatible servers send: {@code {"error":{message,type,code,param}}} (OpenAI,
     * Azure, Groq, Ollama; OpenRouter with a numeric code), Mistral's flat {@code {"object":"error",...}}, FastAPI's
     * {@code {"detail":...}} and a bare {@code {"message":...}}.
     */
    public static ProviderError parseError(int status, byte[] bytes) {
        JsonNode root = Json.parse(bytes).orElse(null);
        if (root == null || !root.isObject()) {
            return ProviderError.of(null, null, null);
        }
        JsonNode e = root.get("error");
        if (e != null && e.isTextual()) {
            return ProviderError.of(null, null, e.asText());
        }
        if (e == null || !e.isObject()) {
            e = root;
        }
        String type = Json.text(e, "type");
        String code = Json.text(e, "code");
        JsonNode inner = e.path("innererror");
        if (code == null && inner.isObject()) {
            code = Json.text(inner, "code");
        }
        JsonNode meta = e.path("metadata");
        if (type == null && meta.isObject() && (meta.has("reasons") || meta.has("flagged_input"))) {
            type = "moderation"; // OpenRouter's 403 moderation refusal
        }
        String message = Json.text(e, "message");
        if (message == null && root.has("detail")) {
            message = root.get("detail").isTextual() ? root.get("detail").asText() : Json.write(root.get("detail"));
        }
        return ProviderError.of(type, code, message);
    }
}
