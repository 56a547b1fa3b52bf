package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.schemas.JobResult;
import java.util.ArrayList;
import java.util.List;

/**
 * A finished job's answer as the chunks of a stream (for a stream attached after the job ended, or a job whose
 * chunks are gone): the role and whole text, the tool calls, the finish reason, the usage when asked for. The first
 * chunk carries {@code extra_fields}.
 */
final class ResultChunks {

    private ResultChunks() {}

    static List<String> of(JobResult r, JsonNode completion, boolean includeUsage, ObjectMapper json) {
        List<String> out = new ArrayList<>();
        JsonNode choice = completion.path("choices").path(0);
        JsonNode message = choice.path("message");
        ObjectNode first = base(completion, json);
        ObjectNode delta =
                first.withArray("choices").addObject().put("index", 0).putObject("delta");
        ((ObjectNode) first.get("choices").get(0)).putNull("finish_reason");
        delta.put("role", "assistant");
        delta.put("content", message.path("content").asText(""));
        if (message.path("tool_calls").isArray() && !message.get("tool_calls").isEmpty()) {
            ArrayNode calls = delta.putArray("tool_calls");
            int i = 0;
            for (JsonNode tc : message.get("tool_calls")) {
                ObjectNode c = tc.deepCopy();
                c.put("index", i++);
                calls.add(c);
            }
        }
        ObjectNode extra = first.putObject("extra_fields");
        extra.put("provider", r.getProvider());
        extra.put("model", r.getModel());
        extra.put("job_id", r.getJobId());
        extra.put("fallback_index", r.getHop());
        out.add(first.toString());
        ObjectNode last = base(completion, json);
        ObjectNode c = last.withArray("choices").addObject().put("index", 0);
        c.putObject("delta");
        c.put("finish_reason", choice.path("finish_reason").asText("stop"));
        out.add(last.toString());
        if (includeUsage && completion.path("usage").isObject()) {
            ObjectNode usage = base(completion, json);
            usage.putArray("choices");
            usage.set("usage", completion.get("usage"));
            out.add(usage.toString());
        }
        return out;
    }

    private static ObjectNode base(JsonNode completion, ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.put("id", completion.path("id").asText("chatcmpl-relay"));
        c.put("object", "chat.completion.chunk");
        c.put("created", completion.path("created").asLong(System.currentTimeMillis() / 1000));
        c.put("model", completion.path("model").asText(""));
        return c;
    }
}
