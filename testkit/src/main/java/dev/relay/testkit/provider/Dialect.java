package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The wire formats the {@link FakeProvider} speaks: how a success and an error look in each, and where a request
 * keeps its model, its caller id and its text. Shapes follow the providers' documented answers (the same ones the
 * processor's contract fixtures under {@code processor/src/test/resources/providers/} quote).
 */
public enum Dialect {

    /** OpenAI chat completions, and every OpenAI-compatible provider (Groq, OpenRouter, Mistral, ...). */
    OPENAI,
    /** Azure OpenAI: OpenAI's bodies under {@code /openai/deployments/{deployment}/chat/completions}. */
    AZURE,
    /** Anthropic Messages ({@code /v1/messages}). */
    ANTHROPIC,
    /** Gemini {@code generateContent}: Google RPC errors ({@code {"error":{"code","message","status"}}}). */
    GEMINI;

    static final ObjectMapper JSON = new ObjectMapper();

    /** A successful answer carrying {@code text} and the token counts, in this dialect. */
    String completion(String model, String text, String id, int inputTokens, int outputTokens) {
        ObjectNode root = JSON.createObjectNode();
        switch (this) {
            case OPENAI, AZURE -> {
                root.put("id", "chatcmpl-" + id)
                        .put("object", "chat.completion")
                        .put("created", 1_700_000_000L)
                        .put("model", model);
                ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
                choice.putObject("message").put("role", "assistant").put("content", text);
                choice.put("finish_reason", "stop");
                root.putObject("usage")
                        .put("prompt_tokens", inputTokens)
                        .put("completion_tokens", outputTokens)
                        .put("total_tokens", inputTokens + outputTokens);
            }
            case ANTHROPIC -> {
                root.put("id", "msg_" + id)
                        .put("type", "message")
                        .put("role", "assistant")
                        .put("model", model);
                root.putArray("content").addObject().put("type", "text").put("text", text);
                root.put("stop_reason", "end_turn").putNull("stop_sequence");
                root.putObject("usage").put("input_tokens", inputTokens).put("output_tokens", outputTokens);
            }
            case GEMINI -> {
                ObjectNode candidate = root.putArray("candidates").addObject();
                ObjectNode content = candidate.putObject("content");
                content.putArray("parts").addObject().put("text", text);
                content.put("role", "model");
                candidate.put("finishReason", "STOP").put("index", 0);
                root.putObject("usageMetadata")
                        .put("promptTokenCount", inputTokens)
                        .put("candidatesTokenCount", outputTokens)
                        .put("totalTokenCount", inputTokens + outputTokens);
                root.put("modelVersion", model).put("responseId", id);
            }
        }
        return root.toString();
    }

    /** An error answer in this dialect; {@code type} null takes the provider's usual type for {@code status}. */
    String error(int status, String type, String message) {
        String t = type != null ? type : defaultErrorType(status);
        ObjectNode root = JSON.createObjectNode();
        switch (this) {
            case OPENAI, AZURE ->
                root.putObject("error")
                        .put("message", message)
                        .put("type", t)
                        .putNull("param")
                        .putNull("code");
            case ANTHROPIC -> {
                root.put("type", "error");
                root.putObject("error").put("type", t).put("message", message);
            }
            case GEMINI ->
                root.putObject("error")
                        .put("code", status)
                        .put("message", message)
                        .put("status", t);
        }
        return root.toString();
    }

    /** The error type (Gemini: the RPC status) a provider sends with {@code status}. */
    String defaultErrorType(int status) {
        return switch (this) {
            case OPENAI, AZURE ->
                switch (status) {
                    case 400, 404, 422 -> "invalid_request_error";
                    case 401 -> "authentication_error";
                    case 403 -> "permission_error";
                    case 429 -> "rate_limit_error";
                    default -> status >= 500 ? "server_error" : "invalid_request_error";
                };
            case ANTHROPIC ->
                switch (status) {
                    case 400, 422 -> "invalid_request_error";
                    case 401 -> "authentication_error";
                    case 403 -> "permission_error";
                    case 404 -> "not_found_error";
                    case 413 -> "request_too_large";
                    case 429 -> "rate_limit_error";
                    case 529 -> "overloaded_error";
                    default -> status >= 500 ? "api_error" : "invalid_request_error";
                };
            case GEMINI ->
                switch (status) {
                    case 400 -> "INVALID_ARGUMENT";
                    case 401 -> "UNAUTHENTICATED";
                    case 403 -> "PERMISSION_DENIED";
                    case 404 -> "NOT_FOUND";
                    case 429 -> "RESOURCE_EXHAUSTED";
                    case 503 -> "UNAVAILABLE";
                    case 504 -> "DEADLINE_EXCEEDED";
                    default -> status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
                };
        };
    }

    /** The caller id a request carries: OpenAI's {@code user}, Anthropic's {@code metadata.user_id}. */
    String user(JsonNode body) {
        return switch (this) {
            case OPENAI, AZURE -> body.path("user").asText("");
            case ANTHROPIC -> body.path("metadata").path("user_id").asText("");
            case GEMINI -> "";
        };
    }

    /** Every text part of the request's messages (system prompt included), joined by newlines. */
    String text(JsonNode body) {
        StringBuilder out = new StringBuilder();
        switch (this) {
            case OPENAI, AZURE -> body.path("messages").forEach(m -> appendText(out, m.path("content"), "text"));
            case ANTHROPIC -> {
                appendText(out, body.path("system"), "text");
                body.path("messages").forEach(m -> appendText(out, m.path("content"), "text"));
            }
            case GEMINI -> {
                body.path("systemInstruction").path("parts").forEach(p -> appendText(out, p.path("text"), "text"));
                body.path("contents")
                        .forEach(c -> c.path("parts").forEach(p -> appendText(out, p.path("text"), "text")));
            }
        }
        return out.toString();
    }

    private static void appendText(StringBuilder out, JsonNode content, String field) {
        if (content.isTextual()) {
            out.append(out.isEmpty() ? "" : "\n").append(content.asText());
        } else if (content.isArray()) {
            content.forEach(part -> {
                if (part.path(field).isTextual()) {
                    out.append(out.isEmpty() ? "" : "\n")
                            .append(part.path(field).asText());
                }
            });
        }
    }
}
