package dev.relay.processor.provider.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.mapping.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * OpenAI's Batch API: the items as a JSONL file ({@code POST /v1/files}, {@code purpose=batch}), then
 * {@code POST /v1/batches} with {@code metadata.relay_batch} = Relay's marker; {@code GET /v1/batches/{id}} until its
 * status is completed, expired, cancelled or failed; then the output and error files ({@code GET
 * /v1/files/{id}/content}), one line per item: {@code {"custom_id", "response": {"status_code", "body"}, "error"}}.
 */
final class OpenAiBatchApi implements BatchApi {

    static final String MARKER_KEY = "relay_batch";
    static final String ENDPOINT = "/v1/chat/completions";
    /** How far before the intent a provider's clock may put the batch's creation. */
    static final long CLOCK_SKEW_S = 60;

    private final BatchHttp http;

    OpenAiBatchApi(BatchHttp http) {
        this.http = http;
    }

    private static Map<String, String> auth(Optional<Secret> key) {
        return key.map(k -> Map.of("Authorization", "Bearer " + k.reveal())).orElse(Map.of());
    }

    @Override
    public String submit(String marker, String model, List<Item> items, Optional<Secret> key)
            throws IOException, InterruptedException {
        byte[] file;
        try (MultipartJsonl upload = new MultipartJsonl(marker + ".jsonl")) {
            for (Item item : items) {
                ObjectNode line = Json.MAPPER.createObjectNode();
                line.put("custom_id", item.customId());
                line.put("method", "POST");
                line.put("url", ENDPOINT);
                line.set("body", Json.MAPPER.readTree(body(model, item)));
                upload.line(Json.bytes(line));
            }
            file = http.send(
                    "file upload",
                    http.request(http.uri("/v1/files"), auth(key))
                            .header("Content-Type", upload.contentType())
                            .POST(upload.publisher())
                            .build());
        }
        String fileId = Json.MAPPER.readTree(file).path("id").asText();
        ObjectNode create = Json.MAPPER.createObjectNode();
        create.put("input_file_id", fileId);
        create.put("endpoint", ENDPOINT);
        create.put("completion_window", "24h");
        create.putObject("metadata").put(MARKER_KEY, marker);
        String id = http.postForJson("batch create", "/v1/batches", auth(key), create)
                .path("id")
                .asText();
        if (id.isEmpty()) {
            throw new IOException("OpenAI's batch create answered without an id");
        }
        return id;
    }

    /** The item's request body, as the real-time call would send it. */
    private byte[] body(String model, Item item) {
        ChatCall call = new ChatCall(item.customId(), model, item.request().get(), Optional.empty(), null, Instant.MAX);
        return http.dialect().toWire(call, "").body();
    }

    /** Lists the batches, newest first, down to {@code since}, for the one whose {@code metadata} carries the marker. */
    @Override
    public Lookup find(String marker, Instant since, Set<String> customIds, Optional<Secret> key)
            throws IOException, InterruptedException {
        String after = null;
        while (true) {
            String q = "/v1/batches?limit=100"
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            JsonNode list = http.getJson("batch list", q, auth(key));
            boolean older = false;
            for (JsonNode b : list.path("data")) {
                if (marker.equals(b.path("metadata").path(MARKER_KEY).asText(null))) {
                    return new Lookup.Found(b.path("id").asText());
                }
                older |= b.path("created_at").asLong(Long.MAX_VALUE) < since.getEpochSecond() - CLOCK_SKEW_S;
                after = b.path("id").asText();
            }
            if (older || !list.path("has_more").asBoolean(false) || after == null) {
                return new Lookup.NotFound();
            }
        }
    }

    @Override
    public Poll poll(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException {
        JsonNode batch = http.getJson("batch retrieve", "/v1/batches/" + providerBatchId, auth(key));
        String status = batch.path("status").asText();
        switch (status) {
            case "completed", "expired", "cancelled", "failed" -> {}
            default -> {
                return new Poll.Running(status);
            }
        }
        List<ItemResult> results = new ArrayList<>();
        for (String file : List.of("output", "error")) {
            String fileId = batch.path(file + "_file_id").asText(null);
            if (fileId == null || fileId.isEmpty()) {
                continue;
            }
            String where = "the " + file + " file of provider batch " + providerBatchId;
            results.addAll(http.jsonLines(
                    "file content",
                    http.request(http.uri("/v1/files/" + fileId + "/content"), auth(key))
                            .GET()
                            .build(),
                    this::item,
                    u -> BatchFailures.unreadable(u, where)));
        }
        return new Poll.Ended(status, results);
    }

    /** {@code POST /v1/batches/{id}/cancel}: the batch is {@code cancelling}, then {@code cancelled}. */
    @Override
    public String cancel(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException {
        return http.postForJson("batch cancel", "/v1/batches/" + providerBatchId + "/cancel", auth(key))
                .path("status")
                .asText();
    }

    /** One line of an output or error file. */
    private ItemResult item(JsonNode line) {
        String customId = line.path("custom_id").asText(null);
        JsonNode response = line.get("response");
        if (response != null && response.isObject()) {
            int code = response.path("status_code").asInt();
            byte[] body = Json.bytes(response.path("body"));
            if (code / 100 == 2) {
                return new ItemResult(customId, http.dialect().fromWire(body, code));
            }
            ProviderError e = http.dialect().parseError(code, body);
            return new ItemResult(
                    customId,
                    AttemptOutcome.Failure.of(
                            Classifier.classify(code, e.type(), e.code(), e.message()),
                            code,
                            e.type(),
                            e.code(),
                            e.message()));
        }
        JsonNode error = line.path("error");
        String code = error.path("code").asText("batch_error");
        String message = error.path("message").asText("the provider batch reported no result");
        return new ItemResult(customId, BatchFailures.of(code, message));
    }
}
