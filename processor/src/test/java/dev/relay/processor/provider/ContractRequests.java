package dev.relay.processor.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The OpenAI-shaped requests the contract suite sends through every adapter. */
final class ContractRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A 1x1 PNG, as a data URL, to check image mapping. */
    static final String IMAGE_DATA =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    static final String TEXT = """
            {"model": "ignored", "messages": [
              {"role": "system", "content": "You are terse."},
              {"role": "user", "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,%s"}}]}],
             "temperature": 0.5, "top_p": 0.9, "max_tokens": 256, "stop": ["END"], "seed": 42}
            """.formatted(IMAGE_DATA);

    static final String TOOL = """
            {"model": "ignored", "messages": [
              {"role": "system", "content": "Use the tools."},
              {"role": "user", "content": "Weather in Paris?"},
              {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Paris\\"}"}}]},
              {"role": "tool", "tool_call_id": "call_1", "content": "{\\"temp_c\\":21}"},
              {"role": "user", "content": "And in Rome?"}],
             "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                 "additionalProperties": false}}}],
             "tool_choice": "required"}
            """;

    static final String JSON_MODE = """
            {"model": "ignored", "messages": [{"role": "user", "content": "Capital of France, as JSON?"}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
               "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
                 "additionalProperties": false}}}}
            """;

    private ContractRequests() {}

    static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
