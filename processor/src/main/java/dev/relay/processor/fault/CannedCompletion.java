package dev.relay.processor.fault;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/** Builds the OpenAI {@code chat.completion} object a canned success answers with. */
final class CannedCompletion {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private CannedCompletion() {}

    static ObjectNode build(
            MockResponse.SuccessContent content, String provider, String model, RandomGenerator random) {
        String text = content.messageTemplate() != null
                ? content.messageTemplate().replace("{{provider}}", provider).replace("{{model}}", model)
                : content.message();
        ObjectNode out = JSON.objectNode();
        out.put("id", "chatcmpl-mock-" + HexFormat.of().toHexDigits(random.nextLong()));
        out.put("object", "chat.completion");
        out.put("created", Instant.now().getEpochSecond());
        out.put("model", content.model() != null ? content.model() : model);
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", text);
        choice.put("finish_reason", content.finishReason());
        ObjectNode usage = out.putObject("usage");
        usage.put("prompt_tokens", content.usage().promptTokens());
        usage.put("completion_tokens", content.usage().completionTokens());
        usage.put("total_tokens", content.usage().totalTokens());
        return out;
    }
}
