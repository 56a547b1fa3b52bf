package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.testkit.provider.FakeBatches.Batch;
import dev.relay.testkit.provider.FakeBatches.Fate;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenAI's Files and Batches on a {@link FakeProvider}: {@code POST /v1/files} (multipart, {@code purpose=batch}),
 * {@code GET /v1/files/{id}/content}, {@code POST /v1/batches}, {@code GET /v1/batches/{id}}, {@code GET /v1/batches},
 * {@code POST /v1/batches/{id}/cancel}. A batch is {@code in_progress} until the completion delay has passed, then
 * {@code completed}, or {@code expired} when an item expired ({@code cancelling}, then {@code cancelled}, once
 * cancelled); its output and error files hold OpenAI's lines ({@code {"id", "custom_id", "response": {"status_code",
 * "request_id", "body"}, "error"}}); a {@link Fate#GARBLE}d item's line is cut short, an {@link Fate#OMIT}ted one left
 * out.
 */
final class FakeOpenAiBatches {

    private final FakeBatches shared;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();

    FakeOpenAiBatches(FakeBatches shared) {
        this.shared = shared;
    }

    void addRoutes(FakeProvider provider) {
        provider.route(new Route("POST", "/v1/files", Dialect.OPENAI, this::uploadFile));
        provider.route(new Route("GET", "/v1/files/{id}/content", Dialect.OPENAI, this::fileContent));
        provider.route(new Route("POST", "/v1/batches", Dialect.OPENAI, this::create));
        provider.route(new Route("GET", "/v1/batches", Dialect.OPENAI, this::list));
        provider.route(new Route("GET", "/v1/batches/{id}", Dialect.OPENAI, this::retrieve));
        provider.route(new Route("POST", "/v1/batches/{id}/cancel", Dialect.OPENAI, this::cancel));
    }

    private Reply uploadFile(Request r) {
        String type = r.header("content-type");
        if (type == null || !type.contains("boundary=")) {
            return Reply.error(400, "invalid_request_error", "expected multipart/form-data");
        }
        String boundary = type.substring(type.indexOf("boundary=") + 9).replace("\"", "");
        String body = new String(r.body(), StandardCharsets.ISO_8859_1);
        String purpose = null;
        byte[] file = null;
        String filename = null;
        for (String part : body.split("--" + java.util.regex.Pattern.quote(boundary))) {
            int split = part.indexOf("\r\n\r\n");
            if (split < 0) {
                continue;
            }
            String head = part.substring(0, split);
            String content = part.substring(split + 4);
            if (content.endsWith("\r\n")) {
                content = content.substring(0, content.length() - 2);
            }
            if (head.contains("name=\"purpose\"")) {
                purpose = content;
            } else if (head.contains("name=\"file\"")) {
                file = content.getBytes(StandardCharsets.ISO_8859_1);
                int f = head.indexOf("filename=\"");
                filename = f < 0 ? "file" : head.substring(f + 10, head.indexOf('"', f + 10));
            }
        }
        if (!"batch".equals(purpose) || file == null) {
            return Reply.error(400, "invalid_request_error", "purpose must be batch and a file part is required");
        }
        String id = shared.newId("file-");
        files.put(id, file);
        ObjectNode o = Dialect.JSON.createObjectNode();
        o.put("id", id)
                .put("object", "file")
                .put("bytes", file.length)
                .put("created_at", Instant.now().getEpochSecond())
                .put("filename", filename)
                .put("purpose", "batch")
                .put("status", "processed");
        return Reply.json(200, o.toString());
    }

    private Reply fileContent(Request r) {
        byte[] f = files.get(r.pathParam("id"));
        if (f == null) {
            return Reply.error(404, "invalid_request_error", "No such File object: " + r.pathParam("id"));
        }
        return Reply.json(200, new String(f, StandardCharsets.UTF_8));
    }

    private Reply create(Request r) throws Exception {
        JsonNode req = r.json();
        byte[] file = files.get(req.path("input_file_id").asText());
        if (file == null) {
            return Reply.error(404, "invalid_request_error", "No such File object: " + req.path("input_file_id"));
        }
        if (!"/v1/chat/completions".equals(req.path("endpoint").asText())
                || !"24h".equals(req.path("completion_window").asText())) {
            return Reply.error(400, "invalid_request_error", "endpoint or completion_window not supported");
        }
        List<JsonNode> items = new ArrayList<>();
        for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                items.add(Dialect.JSON.readTree(line));
            }
        }
        ObjectNode metadata = req.path("metadata").isObject()
                ? (ObjectNode) req.path("metadata").deepCopy()
                : Dialect.JSON.createObjectNode();
        Batch b = shared.register(Dialect.OPENAI, "batch_", metadata, items);
        return Reply.json(200, openAiObject(b).toString());
    }

    private Reply list(Request r) {
        List<Batch> all = shared.newestFirst(Dialect.OPENAI);
        ObjectNode out = Dialect.JSON.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        all.forEach(b -> data.add(openAiObject(b)));
        out.put("has_more", false);
        return Reply.json(200, out.toString());
    }

    private Reply retrieve(Request r) {
        Batch b = shared.batch(r.pathParam("id"), Dialect.OPENAI);
        if (b == null) {
            return Reply.error(404, "invalid_request_error", "No batch found with id '" + r.pathParam("id") + "'.");
        }
        return Reply.json(200, openAiObject(b).toString());
    }

    /**
     * {@code POST /v1/batches/{id}/cancel}: the batch object, {@code cancelling}; 400 once the batch has ended; 500 when
     * scripted to fail.
     */
    private Reply cancel(Request r) {
        Batch b = shared.batch(r.pathParam("id"), Dialect.OPENAI);
        if (b == null) {
            return Reply.error(404, "invalid_request_error", "No batch found with id '" + r.pathParam("id") + "'.");
        }
        return switch (shared.cancel(b)) {
            case CANCELLING -> Reply.json(200, openAiObject(b).toString());
            case ENDED ->
                Reply.error(
                        400,
                        "invalid_request_error",
                        "Cannot cancel a batch with status '"
                                + openAiObject(b).path("status").asText() + "'.");
            case FAILED -> Reply.error(500, "server_error", "The server had an error while processing your request.");
        };
    }

    private ObjectNode openAiObject(Batch b) {
        boolean ended = shared.ended(b);
        int ok = 0;
        int failed = 0;
        boolean expired = false;
        StringBuilder output = new StringBuilder();
        StringBuilder errors = new StringBuilder();
        boolean cancelled = shared.cancelled(b);
        for (int index = 0; index < b.items().size(); index++) {
            JsonNode item = b.items().get(index);
            String customId = item.path("custom_id").asText();
            String model = item.path("body").path("model").asText();
            String requestId = "batch_req_" + Integer.toHexString(customId.hashCode());
            Fate fate = shared.fate(b, index);
            switch (fate) {
                case SUCCEED, GARBLE, OMIT -> {
                    ok++;
                    String completion = Dialect.OPENAI.completion(model, "batch answer " + customId, requestId, 5, 2);
                    String line = answered(requestId, customId, 200, completion).toString();
                    if (fate != Fate.OMIT) {
                        output.append(fate == Fate.GARBLE ? FakeBatches.garbled(line) : line)
                                .append('\n');
                    }
                }
                case ERROR -> {
                    failed++;
                    String error = Dialect.OPENAI.error(500, "server_error", "fake batch item error");
                    errors.append(answered(requestId, customId, 500, error)).append('\n');
                }
                case EXPIRE, CANCEL -> {
                    boolean expire = fate == Fate.EXPIRE;
                    expired |= expire;
                    failed++;
                    ObjectNode line = line(requestId, customId);
                    line.putNull("response");
                    line.putObject("error")
                            .put("code", expire ? "batch_expired" : "batch_cancelled")
                            .put(
                                    "message",
                                    expire
                                            ? "This request could not be executed before the completion window expired."
                                            : "This request was not executed because the batch was cancelled.");
                    errors.append(line).append('\n');
                }
            }
        }
        long created = b.created().getEpochSecond();
        ObjectNode o = Dialect.JSON.createObjectNode();
        o.put("id", b.id())
                .put("object", "batch")
                .put("endpoint", "/v1/chat/completions")
                .putNull("errors");
        o.put("input_file_id", "file-input").put("completion_window", "24h");
        String status = cancelled
                ? (ended ? "cancelled" : "cancelling")
                : !ended ? "in_progress" : expired ? "expired" : "completed";
        o.put("status", status);
        if (ended) {
            String out = b.id() + "-output";
            String err = b.id() + "-errors";
            files.putIfAbsent(out, output.toString().getBytes(StandardCharsets.UTF_8));
            files.putIfAbsent(err, errors.toString().getBytes(StandardCharsets.UTF_8));
            o.put("output_file_id", ok > 0 ? out : null);
            o.put("error_file_id", failed > 0 ? err : null);
        } else {
            o.putNull("output_file_id");
            o.putNull("error_file_id");
        }
        o.put("created_at", created).put("in_progress_at", created);
        o.put("expires_at", created + 86_400);
        long end = created + shared.completionDelay().toSeconds();
        o.put("completed_at", ended && !expired && !cancelled ? end : null);
        o.put("expired_at", ended && expired && !cancelled ? end : null);
        o.put("cancelling_at", cancelled ? Instant.now().getEpochSecond() : null);
        o.put("cancelled_at", cancelled && ended ? Instant.now().getEpochSecond() : null);
        o.putObject("request_counts")
                .put("total", b.items().size())
                .put("completed", ended ? ok : 0)
                .put("failed", ended ? failed : 0);
        o.set("metadata", b.metadata());
        return o;
    }

    /** A line for an item the provider answered: its status and body under {@code response}, no {@code error}. */
    private static ObjectNode answered(String requestId, String customId, int status, String body) {
        ObjectNode line = line(requestId, customId);
        line.putObject("response")
                .put("status_code", status)
                .put("request_id", requestId)
                .set("body", FakeBatches.read(body));
        line.putNull("error");
        return line;
    }

    private static ObjectNode line(String requestId, String customId) {
        ObjectNode line = Dialect.JSON.createObjectNode();
        line.put("id", requestId).put("custom_id", customId);
        return line;
    }
}
