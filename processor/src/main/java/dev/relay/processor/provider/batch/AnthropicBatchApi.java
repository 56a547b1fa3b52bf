package dev.relay.processor.provider.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.anthropic.AnthropicDialect;
import dev.relay.processor.provider.mapping.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Anthropic's Message Batches: {@code POST /v1/messages/batches} with {@code requests: [{custom_id, params}]} (params
 * are the Messages request the real-time call would send); {@code GET /v1/messages/batches/{id}} until its
 * {@code processing_status} is {@code ended}; then its {@code results_url}, one JSON line per item:
 * {@code {"custom_id", "result": {"type": "succeeded" | "errored" | "canceled" | "expired", ...}}}.
 *
 * <p>A Message Batch carries no metadata: a submit cut off by a crash is found by its items instead ({@link #find}).
 */
final class AnthropicBatchApi implements BatchApi {

    private static final Map<String, Integer> ERROR_STATUS = Map.of(
            "invalid_request_error", 400,
            "authentication_error", 401,
            "permission_error", 403,
            "not_found_error", 404,
            "request_too_large", 413,
            "rate_limit_error", 429,
            "api_error", 500,
            "overloaded_error", 529);

    private final BatchHttp http;

    AnthropicBatchApi(BatchHttp http) {
        this.http = http;
    }

    private static Map<String, String> headers(Optional<Secret> key) {
        Map<String, String> h = new HashMap<>();
        h.put("anthropic-version", AnthropicDialect.API_VERSION);
        key.ifPresent(k -> h.put("x-api-key", k.reveal()));
        return h;
    }

    @Override
    public String submit(String marker, String model, List<Item> items, Optional<Secret> key)
            throws IOException, InterruptedException {
        String id;
        // each request is written to the body's file as it is made: one item's request on the heap at a time
        try (JsonArrayBody body = new JsonArrayBody("requests")) {
            for (Item item : items) {
                ChatCall call =
                        new ChatCall(item.customId(), model, item.request().get(), Optional.empty(), null, Instant.MAX);
                ObjectNode r = Json.MAPPER.createObjectNode();
                r.put("custom_id", item.customId());
                r.set(
                        "params",
                        Json.MAPPER.readTree(http.dialect().toWire(call, "").body()));
                body.add(r);
            }
            id = http.postForJson("message batch create", "/v1/messages/batches", headers(key), body.publisher())
                    .path("id")
                    .asText();
        }
        if (id.isEmpty()) {
            throw new IOException("Anthropic's message batch create answered without an id");
        }
        return id;
    }

    /**
     * A Message Batch carries no metadata, so the marker cannot be looked up; the items can. Lists the batches, newest
     * first, down to {@code since}; a batch with as many requests as the cut-off submit is a candidate, and an ended
     * candidate whose results name one of {@code customIds} (job ids: no other batch holds them) is the one. While a
     * candidate is still processing the answer is undecided; with no candidate the submit never arrived.
     */
    @Override
    public Lookup find(String marker, Instant since, Set<String> customIds, Optional<Secret> key)
            throws IOException, InterruptedException {
        String after = null;
        String undecided = null;
        while (true) {
            String q = "/v1/messages/batches?limit=100" + (after == null ? "" : "&after_id=" + after);
            JsonNode list = http.getJson("message batch list", q, headers(key));
            boolean older = false;
            for (JsonNode b : list.path("data")) {
                after = b.path("id").asText();
                Instant created = Instant.parse(b.path("created_at").asText());
                if (created.isBefore(since.minusSeconds(60))) {
                    older = true;
                    continue;
                }
                int total = 0;
                for (JsonNode n : b.path("request_counts")) {
                    total += n.asInt();
                }
                if (total != customIds.size()) {
                    continue;
                }
                if (!"ended".equals(b.path("processing_status").asText())) {
                    undecided = "message batch " + b.path("id").asText() + " may be it and is still processing";
                    continue;
                }
                if (namesOneOf(b.path("results_url").asText(), customIds, key)) {
                    return new Lookup.Found(b.path("id").asText());
                }
            }
            if (older || !list.path("has_more").asBoolean(false) || after == null) {
                return undecided == null ? new Lookup.NotFound() : new Lookup.Undecided(undecided);
            }
        }
    }

    private boolean namesOneOf(String resultsUrl, Set<String> customIds, Optional<Secret> key)
            throws IOException, InterruptedException {
        return http.firstJsonLine(
                        "message batch results",
                        http.request(URI.create(resultsUrl), headers(key)).GET().build())
                .map(line -> customIds.contains(line.path("custom_id").asText()))
                .orElse(false);
    }

    @Override
    public Poll poll(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException {
        JsonNode batch =
                http.getJson("message batch retrieve", "/v1/messages/batches/" + providerBatchId, headers(key));
        String status = batch.path("processing_status").asText();
        if (!"ended".equals(status)) {
            return new Poll.Running(status);
        }
        String url = batch.path("results_url").asText(null);
        if (url == null || url.isEmpty()) {
            return new Poll.Ended(status, List.of());
        }
        List<ItemResult> results = http.jsonLines(
                "message batch results",
                http.request(URI.create(url), headers(key)).GET().build(),
                this::item,
                u -> BatchFailures.unreadable(u, "the results of message batch " + providerBatchId));
        return new Poll.Ended(status, results);
    }

    /**
     * {@code POST /v1/messages/batches/{id}/cancel}: {@code processing_status} is {@code canceling}, then
     * {@code ended}; the requests it had not processed have the result type {@code canceled}.
     */
    @Override
    public String cancel(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException {
        return http.postForJson(
                        "message batch cancel", "/v1/messages/batches/" + providerBatchId + "/cancel", headers(key))
                .path("processing_status")
                .asText();
    }

    private ItemResult item(JsonNode line) {
        String customId = line.path("custom_id").asText(null);
        JsonNode result = line.path("result");
        return switch (result.path("type").asText()) {
            case "succeeded" ->
                new ItemResult(customId, http.dialect().fromWire(Json.bytes(result.path("message")), 200));
            case "errored" -> {
                // {"type": "error", "error": {"type": "invalid_request_error", "message": "..."}}
                JsonNode e = result.path("error").path("error");
                String type = e.path("type").asText("api_error");
                String message = e.path("message").asText("the message batch reported an error");
                int status = ERROR_STATUS.getOrDefault(type, 500);
                yield new ItemResult(
                        customId,
                        AttemptOutcome.Failure.of(
                                Classifier.classify(status, type, null, message), status, type, null, message));
            }
            case "expired" ->
                new ItemResult(
                        customId,
                        BatchFailures.of(BatchFailures.EXPIRED, "the message batch expired before this request ran"));
            case "canceled" ->
                new ItemResult(
                        customId,
                        BatchFailures.of(
                                BatchFailures.CANCELLED, "the message batch was canceled before this request ran"));
            default ->
                new ItemResult(
                        customId,
                        BatchFailures.of(
                                BatchFailures.MISSING,
                                "unknown result type '" + result.path("type").asText() + "'"));
        };
    }
}
