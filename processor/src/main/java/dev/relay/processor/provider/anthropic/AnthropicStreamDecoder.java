package dev.relay.processor.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.provider.ChunkFactory;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.processor.provider.stream.Decoded;
import dev.relay.processor.provider.stream.SseEvent;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Anthropic's event stream: {@code message_start} (id, model, input tokens) becomes the role chunk;
 * {@code content_block_start} of a {@code tool_use} block and its {@code input_json_delta}s become an OpenAI tool
 * call (index = the n-th tool block) and its argument pieces; {@code text_delta}s become content; {@code message_delta}
 * the finish reason (mapped as in {@link AnthropicDialect}) and the output tokens; {@code message_stop} the usage chunk
 * and the end. {@code ping}, {@code content_block_stop} and thinking or citation deltas carry nothing for OpenAI.
 * {@code error} is an error event, classified with the status Anthropic sends that error type with.
 */
public final class AnthropicStreamDecoder implements StreamDecoder {

    private final ChunkFactory chunks;
    private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
    private Integer inputTokens;
    private Integer outputTokens;
    private boolean finished;
    private boolean usageSent;

    public AnthropicStreamDecoder(String model) {
        this.chunks = new ChunkFactory("msg", model, System.currentTimeMillis() / 1000);
    }

    @Override
    public Decoded decode(SseEvent event) {
        JsonNode node =
                Json.parse(event.data().getBytes(StandardCharsets.UTF_8)).orElse(null);
        if (node == null || !node.isObject()) {
            return new Decoded.Malformed("not a JSON object");
        }
        String type = event.event() != null ? event.event() : node.path("type").asText("");
        return switch (type) {
            case "message_start" -> {
                JsonNode m = node.path("message");
                chunks.id(Json.text(m, "id"));
                chunks.model(Json.text(m, "model"));
                JsonNode u = m.path("usage");
                Integer in = Json.integer(u, "input_tokens");
                if (in != null) {
                    inputTokens = in
                            + u.path("cache_creation_input_tokens").asInt(0)
                            + u.path("cache_read_input_tokens").asInt(0);
                }
                outputTokens = Json.integer(u, "output_tokens");
                yield Decoded.of(chunks.role());
            }
            case "content_block_start" -> {
                JsonNode block = node.path("content_block");
                int index = node.path("index").asInt();
                if ("tool_use".equals(block.path("type").asText())) {
                    int toolIndex = toolIndexByBlock.size();
                    toolIndexByBlock.put(index, toolIndex);
                    yield Decoded.of(chunks.toolCall(toolIndex, Json.text(block, "id"), Json.text(block, "name"), ""));
                }
                String text = block.path("text").asText("");
                yield text.isEmpty() ? Decoded.NOTHING : Decoded.of(chunks.text(text));
            }
            case "content_block_delta" -> {
                JsonNode d = node.path("delta");
                yield switch (d.path("type").asText()) {
                    case "text_delta" -> Decoded.of(chunks.text(d.path("text").asText("")));
                    case "input_json_delta" -> {
                        Integer toolIndex =
                                toolIndexByBlock.get(node.path("index").asInt());
                        yield toolIndex == null
                                ? new Decoded.Malformed("input_json_delta outside a tool_use block")
                                : Decoded.of(chunks.toolCall(
                                        toolIndex,
                                        null,
                                        null,
                                        d.path("partial_json").asText("")));
                    }
                    default -> Decoded.NOTHING; // thinking, signature and citations deltas
                };
            }
            case "message_delta" -> {
                Integer out = Json.integer(node.path("usage"), "output_tokens");
                if (out != null) {
                    outputTokens = out; // cumulative
                }
                String stop = Json.text(node.path("delta"), "stop_reason");
                if (stop == null) {
                    yield Decoded.NOTHING;
                }
                finished = true;
                yield Decoded.of(chunks.finish(finishReason(stop)));
            }
            case "message_stop" -> new Decoded.End(usageChunk());
            case "error" -> {
                JsonNode e = node.path("error");
                String errorType = Json.text(e, "type");
                yield new Decoded.Error(
                        statusOf(errorType),
                        ProviderError.of(
                                errorType, Json.text(e.path("details"), "error_code"), Json.text(e, "message")));
            }
            default -> Decoded.NOTHING; // ping, content_block_stop, and event types added later
        };
    }

    @Override
    public List<ObjectNode> finish() {
        return finished ? usageChunk() : List.of();
    }

    private List<ObjectNode> usageChunk() {
        if (usageSent) {
            return List.of();
        }
        usageSent = true;
        List<ObjectNode> out = new ArrayList<>();
        out.add(chunks.usage(inputTokens, outputTokens));
        return out;
    }

    static String finishReason(String stopReason) {
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop"; // end_turn, stop_sequence, pause_turn
        };
    }

    /** The HTTP status Anthropic answers an error type with, so an error event is classified like that answer. */
    static int statusOf(String errorType) {
        if (errorType == null) {
            return 500;
        }
        return switch (errorType) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "billing_error" -> 402;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "timeout_error" -> 504;
            case "overloaded_error" -> 529;
            default -> 500; // api_error and types added later
        };
    }
}
