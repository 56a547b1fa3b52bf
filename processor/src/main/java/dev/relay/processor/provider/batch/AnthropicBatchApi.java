package dev.relay.processor.provider.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.anthropic.AnthropicDialect;
import dev.relay.processor.provider.mapping.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic's Message Batches: {@code POST /v1/messages/batches} with {@code requests: [{custom_id, params}]} (params
 * are the Messages request the real-time call would send); {@code GET /v1/messages/batches/{id}} until its
 * {@code processing_status} is {@code ended}; then its {@code results_url}, one JSON line per item:
 * {@code {"custom_id", "result": {"type": "succeeded" | "errored" | "canceled" | "expired", ...}}}.
 *
 * <p>A Message Batch carries no metadata, so a batch cannot be found by Relay's marker ({@link #keepsMarkers()}
 * false): a submit cut off by a crash is never sent again, its items fail as {@code batch_submit_unknown}.
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
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode requests = body.putArray("requests");
        for (Item item : items) {
            ChatCall call = new ChatCall(item.customId(), model, item.request(), Optional.empty(), null, Instant.MAX);
            ObjectNode r = requests.addObject();
            r.put("custom_id", item.customId());
            r.set("params", Json.MAPPER.readTree(http.dialect().toWire(call, "").body()));
        }
        byte[] answer = http.send(
                "message batch create",
                http.request(http.uri("/v1/messages/batches"), headers(key))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
                        .build());
        String id = Json.MAPPER.readTree(answer).path("id").asText();
        if (id.isEmpty()) {
            throw new IOException("Anthropic's message batch create answered without an id");
        }
        return id;
    }

    @Override
    public boolean keepsMarkers() {
        return false;
    }

    @Override
    public Optional<String> findSubmitted(String marker, Instant since, Optional<Secret> key) {
        return Optional.empty();
    }

    @Override
    public Poll poll(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException {
        JsonNode batch = Json.MAPPER.readTree(http.send(
                "message batch retrieve",
                http.request(http.uri("/v1/messages/batches/" + providerBatchId), headers(key))
                        .GET()
                        .build()));
        String status = batch.path("processing_status").asText();
        if (!"ended".equals(status)) {
            return new Poll.Running(status);
        }
        String url = batch.path("results_url").asText(null);
        List<ItemResult> results = new ArrayList<>();
        if (url != null && !url.isEmpty()) {
            byte[] content = http.send(
                    "message batch results",
                    http.request(URI.create(url), headers(key)).GET().build());
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    results.add(item(Json.MAPPER.readTree(line)));
                }
            }
        }
        return new Poll.Ended(status, results);
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
