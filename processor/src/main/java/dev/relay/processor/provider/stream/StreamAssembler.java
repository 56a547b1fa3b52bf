package dev.relay.processor.provider.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.OpenAiWire;
import dev.relay.processor.provider.mapping.Json;
import java.util.TreeMap;

/**
 * Builds the whole {@code chat.completion} from an attempt's OpenAI chunks (choice 0: text, tool calls by index,
 * finish reason; the usage chunk), so a streaming job ends with the same {@code JobResult} as any other. The outcome
 * follows the non-streaming rules: no finish reason is TRUNCATED, {@code content_filter} without content is
 * CONTENT_FILTERED.
 */
public final class StreamAssembler {

    private String id;
    private String model;
    private long created;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final TreeMap<Integer, ToolCall> toolCalls = new TreeMap<>();
    private String finishReason;
    private JsonNode usage;
    private int chunks;

    private static final class ToolCall {
        String id;
        String name;
        final StringBuilder arguments = new StringBuilder();
    }

    public void add(JsonNode chunk) {
        chunks++;
        if (id == null && chunk.hasNonNull("id")) {
            id = chunk.get("id").asText();
        }
        if (model == null && chunk.hasNonNull("model")) {
            model = chunk.get("model").asText();
        }
        if (created == 0 && chunk.path("created").isNumber()) {
            created = chunk.get("created").asLong();
        }
        if (chunk.path("usage").isObject()) {
            usage = chunk.get("usage");
        }
        for (JsonNode choice : chunk.path("choices")) {
            if (choice.path("index").asInt(0) != 0) {
                continue;
            }
            JsonNode d = choice.path("delta");
            if (d.path("content").isTextual()) {
                text.append(d.get("content").asText());
            }
            if (d.path("refusal").isTextual()) {
                refusal.append(d.get("refusal").asText());
            }
            for (JsonNode tc : d.path("tool_calls")) {
                ToolCall call =
                        toolCalls.computeIfAbsent(tc.path("index").asInt(toolCalls.size()), i -> new ToolCall());
                if (tc.hasNonNull("id")) {
                    call.id = tc.get("id").asText();
                }
                JsonNode f = tc.path("function");
                if (f.hasNonNull("name")) {
                    call.name = f.get("name").asText();
                }
                if (f.path("arguments").isTextual()) {
                    call.arguments.append(f.get("arguments").asText());
                }
            }
            if (choice.hasNonNull("finish_reason")) {
                finishReason = choice.get("finish_reason").asText();
            }
        }
    }

    public boolean hasFinishReason() {
        return finishReason != null;
    }

    public boolean hasContent() {
        return !text.isEmpty() || !toolCalls.isEmpty() || !refusal.isEmpty();
    }

    public int chunks() {
        return chunks;
    }

    /** The completion assembled so far. */
    public ObjectNode completion(String fallbackModel) {
        ObjectNode root = Json.object();
        root.put("id", id == null ? "chatcmpl-relay" : id);
        root.put("object", "chat.completion");
        root.put("created", created == 0 ? System.currentTimeMillis() / 1000 : created);
        root.put("model", model == null ? fallbackModel : model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (text.isEmpty() && !toolCalls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", text.toString());
        }
        if (!refusal.isEmpty()) {
            message.put("refusal", refusal.toString());
        }
        if (!toolCalls.isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            toolCalls
                    .values()
                    .forEach(c -> calls.addObject()
                            .put("id", c.id)
                            .put("type", "function")
                            .putObject("function")
                            .put("name", c.name)
                            .put("arguments", c.arguments.toString()));
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", "model_length".equals(finishReason) ? "length" : finishReason);
        }
        if (usage != null) {
            root.set("usage", usage);
        }
        return root;
    }

    /** The attempt's outcome once the stream ended (cleanly or not) with what it carried. */
    public AttemptOutcome outcome(int status, String fallbackModel) {
        if (finishReason == null) {
            return Failure.of(
                    Classifier.unusableBody(),
                    status,
                    null,
                    null,
                    "the stream ended after " + chunks + " chunks without a finish reason");
        }
        if ("content_filter".equals(finishReason) && !hasContent()) {
            return Failure.of(
                    FailureClass.CONTENT_FILTERED,
                    status,
                    null,
                    "content_filter",
                    "the provider's content filter withheld the completion");
        }
        ObjectNode completion = completion(fallbackModel);
        return new AttemptOutcome.Success(completion, status, OpenAiWire.usage(completion.get("usage")));
    }
}
