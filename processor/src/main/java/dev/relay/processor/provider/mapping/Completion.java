package dev.relay.processor.provider.mapping;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Usage;

/** Builds the OpenAI {@code chat.completion} object every adapter hands back. */
public final class Completion {

    private final ObjectNode root = Json.object();
    private final ObjectNode message;
    private ArrayNode toolCalls;
    private Usage usage = Usage.NONE;

    public Completion(String id, String model, long created) {
        root.put("id", id);
        root.put("object", "chat.completion");
        root.put("created", created);
        root.put("model", model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        message = choice.putObject("message");
        message.put("role", "assistant");
        message.putNull("content");
        choice.putNull("finish_reason");
    }

    public Completion content(String text) {
        if (text != null) {
            message.put("content", text);
        }
        return this;
    }

    public Completion toolCall(String id, String name, String argumentsJson) {
        if (toolCalls == null) {
            toolCalls = message.putArray("tool_calls");
        }
        ObjectNode call = toolCalls.addObject();
        call.put("id", id);
        call.put("type", "function");
        call.putObject("function").put("name", name).put("arguments", argumentsJson);
        return this;
    }

    public boolean hasToolCalls() {
        return toolCalls != null && !toolCalls.isEmpty();
    }

    public Completion finishReason(String reason) {
        ((ObjectNode) root.get("choices").get(0)).put("finish_reason", reason);
        return this;
    }

    public Completion usage(Integer prompt, Integer completion) {
        Integer total = prompt != null && completion != null ? prompt + completion : null;
        usage = new Usage(prompt, completion, total);
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", prompt == null ? 0 : prompt);
        u.put("completion_tokens", completion == null ? 0 : completion);
        u.put("total_tokens", total == null ? 0 : total);
        return this;
    }

    public AttemptOutcome.Success success(int status) {
        return new AttemptOutcome.Success(root, status, usage);
    }
}
