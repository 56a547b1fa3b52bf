package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.testkit.provider.FakeBatches.Batch;
import dev.relay.testkit.provider.FakeBatches.Fate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic's Message Batches on a {@link FakeProvider}: {@code POST /v1/messages/batches}, {@code GET
 * /v1/messages/batches} (newest first), {@code GET /v1/messages/batches/{id}} ({@code processing_status}
 * {@code in_progress}, or {@code canceling} once cancelled, then {@code ended} with a {@code results_url}),
 * {@code POST /v1/messages/batches/{id}/cancel}, and the results as JSONL ({@code {"custom_id", "result": {"type":
 * "succeeded" | "errored" | "expired" | "canceled", ...}}}; a {@link Fate#GARBLE}d item's line cut short, an
 * {@link Fate#OMIT}ted one left out).
 */
final class FakeAnthropicBatches {

    private final FakeBatches shared;
    private final String baseUrl;

    FakeAnthropicBatches(FakeBatches shared, String baseUrl) {
        this.shared = shared;
        this.baseUrl = baseUrl;
    }

    void addRoutes(FakeProvider provider) {
        provider.route(new Route("POST", "/v1/messages/batches", Dialect.ANTHROPIC, this::create));
        provider.route(new Route("GET", "/v1/messages/batches", Dialect.ANTHROPIC, this::list));
        provider.route(new Route("GET", "/v1/messages/batches/{id}", Dialect.ANTHROPIC, this::retrieve));
        provider.route(new Route("POST", "/v1/messages/batches/{id}/cancel", Dialect.ANTHROPIC, this::cancel));
        provider.route(new Route("GET", "/v1/messages/batches/{id}/results", Dialect.ANTHROPIC, this::results));
    }

    private Reply create(Request r) {
        JsonNode requests = r.json().path("requests");
        if (!requests.isArray() || requests.isEmpty()) {
            return Reply.error(400, "invalid_request_error", "requests: at least one request is required");
        }
        List<JsonNode> items = new ArrayList<>();
        requests.forEach(items::add);
        Batch b = shared.register(Dialect.ANTHROPIC, "msgbatch_", null, items);
        return Reply.json(200, anthropicObject(b).toString());
    }

    private Reply list(Request r) {
        List<Batch> all = shared.newestFirst(Dialect.ANTHROPIC);
        ObjectNode out = Dialect.JSON.createObjectNode();
        ArrayNode data = out.putArray("data");
        all.forEach(b -> data.add(anthropicObject(b)));
        out.put("has_more", false);
        out.put("first_id", all.isEmpty() ? null : all.get(0).id());
        out.put("last_id", all.isEmpty() ? null : all.get(all.size() - 1).id());
        return Reply.json(200, out.toString());
    }

    private Reply retrieve(Request r) {
        Batch b = shared.batch(r.pathParam("id"), Dialect.ANTHROPIC);
        if (b == null) {
            return Reply.error(404, "not_found_error", "batch not found");
        }
        return Reply.json(200, anthropicObject(b).toString());
    }

    /**
     * {@code POST /v1/messages/batches/{id}/cancel}: the message batch, {@code canceling}; 400 once it has ended; 500
     * when scripted to fail.
     */
    private Reply cancel(Request r) {
        Batch b = shared.batch(r.pathParam("id"), Dialect.ANTHROPIC);
        if (b == null) {
            return Reply.error(404, "not_found_error", "batch not found");
        }
        return switch (shared.cancel(b)) {
            case CANCELLING -> Reply.json(200, anthropicObject(b).toString());
            case ENDED ->
                Reply.error(400, "invalid_request_error", "the message batch has ended and cannot be canceled");
            case FAILED -> Reply.error(500, "api_error", "Internal server error");
        };
    }

    private ObjectNode anthropicObject(Batch b) {
        boolean ended = shared.ended(b);
        boolean cancelled = shared.cancelled(b);
        int[] counts = new int[Fate.values().length];
        for (int index = 0; index < b.items().size(); index++) {
            counts[shared.fate(b, index).ordinal()]++;
        }
        ObjectNode o = Dialect.JSON.createObjectNode();
        o.put("id", b.id()).put("type", "message_batch");
        o.put("processing_status", ended ? "ended" : cancelled ? "canceling" : "in_progress");
        o.putObject("request_counts")
                .put("processing", ended ? 0 : b.items().size())
                .put(
                        "succeeded",
                        ended
                                ? counts[Fate.SUCCEED.ordinal()]
                                        + counts[Fate.GARBLE.ordinal()]
                                        + counts[Fate.OMIT.ordinal()]
                                : 0)
                .put("errored", ended ? counts[Fate.ERROR.ordinal()] : 0)
                .put("canceled", ended ? counts[Fate.CANCEL.ordinal()] : 0)
                .put("expired", ended ? counts[Fate.EXPIRE.ordinal()] : 0);
        o.put("ended_at", ended ? b.created().plus(shared.completionDelay()).toString() : null);
        o.put("created_at", b.created().toString());
        o.put("expires_at", b.created().plus(Duration.ofHours(24)).toString());
        o.putNull("archived_at");
        o.put("cancel_initiated_at", cancelled ? Instant.now().toString() : null);
        o.put("results_url", ended ? baseUrl + "/v1/messages/batches/" + b.id() + "/results" : null);
        return o;
    }

    private Reply results(Request r) {
        Batch b = shared.batch(r.pathParam("id"), Dialect.ANTHROPIC);
        if (b == null) {
            return Reply.error(404, "not_found_error", "batch not found");
        }
        if (!shared.ended(b)) {
            return Reply.error(400, "invalid_request_error", "the batch is still processing");
        }
        StringBuilder out = new StringBuilder();
        for (int index = 0; index < b.items().size(); index++) {
            JsonNode item = b.items().get(index);
            String customId = item.path("custom_id").asText();
            String model = item.path("params").path("model").asText();
            ObjectNode line = Dialect.JSON.createObjectNode();
            line.put("custom_id", customId);
            ObjectNode result = line.putObject("result");
            Fate fate = shared.fate(b, index);
            switch (fate) {
                case SUCCEED, GARBLE, OMIT -> {
                    result.put("type", "succeeded");
                    result.set(
                            "message",
                            FakeBatches.read(Dialect.ANTHROPIC.completion(
                                    model,
                                    "batch answer " + customId,
                                    Integer.toHexString(customId.hashCode()),
                                    5,
                                    2)));
                }
                case ERROR -> {
                    result.put("type", "errored");
                    result.set(
                            "error",
                            FakeBatches.read(Dialect.ANTHROPIC.error(500, "api_error", "fake batch item error")));
                }
                case EXPIRE -> result.put("type", "expired");
                case CANCEL -> result.put("type", "canceled");
            }
            if (fate != Fate.OMIT) {
                out.append(fate == Fate.GARBLE ? FakeBatches.garbled(line.toString()) : line)
                        .append('\n');
            }
        }
        return Reply.json(200, out.toString());
    }
}
