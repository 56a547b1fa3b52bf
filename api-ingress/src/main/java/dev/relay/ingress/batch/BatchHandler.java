package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.Auth;
import dev.relay.ingress.http.BodyReader;
import dev.relay.ingress.http.JobSubmitter;
import dev.relay.ingress.http.Responses;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.JobView;
import dev.relay.schemas.JobResult;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * {@code /v1/batches}: OpenAI's Batch API over Relay jobs. Two doors: a JSON body naming an uploaded file
 * ({@code {input_file_id, endpoint, completion_window, metadata}}, as the OpenAI SDKs send it), and Relay's own JSONL
 * body. Either way every line becomes an ordinary job that keeps its custom id and falls back on its own chain
 * ({@link BatchIntake}); this class answers the requests: create, get, cancel, list and Relay's own output.
 */
public final class BatchHandler {

    private final BodyReader bodies;
    private final BatchIntake intake;
    private final JobView view;
    private final Catalog catalog;
    private final Batches batches;
    private final ResultRenderer renderer;
    private final ObjectMapper json;

    public BatchHandler(
            BodyReader bodies,
            BatchIntake intake,
            JobView view,
            Catalog catalog,
            Batches batches,
            ResultRenderer renderer,
            ObjectMapper json) {
        this.bodies = bodies;
        this.intake = intake;
        this.view = view;
        this.catalog = catalog;
        this.batches = batches;
        this.renderer = renderer;
        this.json = json;
    }

    public void create(Context ctx) {
        String key = ctx.header("Idempotency-Key");
        JobSubmitter.validateKey(key);
        String tenant = Auth.tenant(ctx);
        String batchId = key == null
                ? "batch_" + UUID.randomUUID().toString().replace("-", "")
                : "batch_" + JobSubmitter.derivedId(tenant, "batch\u0000" + key).substring(4);
        String text = bodies.text(
                ctx,
                bodies.maxBytes() * 100,
                "application/jsonl",
                "application/x-ndjson",
                "application/json",
                "text/plain");
        JsonNode request = openAiRequest(ctx, text);
        if (key != null
                && (catalog.get(batchId).isPresent() || !view.batch(batchId).isEmpty())) {
            ctx.header("Idempotent-Replayed", "true");
            Responses.json(ctx, 200, body(batchId, tenant), json);
            return;
        }
        ObjectNode record =
                request != null ? intake.fromFile(request, batchId, tenant) : intake.fromJsonl(text, batchId, tenant);
        Responses.json(ctx, 200, batches.render(record), json);
    }

    /** The OpenAI create body, if the request is one (JSON with input_file_id); null for a JSONL body. */
    private JsonNode openAiRequest(Context ctx, String text) {
        String type = ctx.header("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return null;
        }
        try {
            JsonNode n = json.readTree(text);
            return n != null && n.isObject() && n.has("input_file_id") ? n : null;
        } catch (IOException e) {
            return null; // not one JSON document: JSONL
        }
    }

    public void get(Context ctx) {
        Responses.json(ctx, 200, body(ctx.pathParam("id"), Auth.tenant(ctx)), json);
    }

    /** The batch object; a batch made before the catalog existed is described from its jobs alone. */
    private ObjectNode body(String batchId, String tenant) {
        var record = batches.record(batchId, tenant);
        ObjectNode out = record.isPresent() ? batches.render(record.get()) : legacySummary(known(batchId));
        out.set("status_counts", statusCounts(batchId));
        return out;
    }

    public void cancel(Context ctx) {
        Responses.json(ctx, 200, batches.cancel(ctx.pathParam("id"), Auth.tenant(ctx)), json);
    }

    /** {@code GET /v1/batches?after=&limit=}: newest first, OpenAI's list shape. */
    public void list(Context ctx) {
        String tenant = Auth.tenant(ctx);
        List<ObjectNode> all = catalog.list("batch").stream()
                .filter(r -> java.util.Objects.equals(
                        Batches.textOrNull(r.path("relay").get("tenant")), tenant))
                .toList();
        int limit = ListPage.limit(ctx.queryParam("limit"), 20, 100);
        Responses.json(ctx, 200, ListPage.of(all, ctx.queryParam("after"), limit, batches::render), json);
    }

    /** Relay's own {@code GET /v1/batches/{id}/output}: every line, successes and failures, in input order. */
    public void output(Context ctx) {
        String batchId = ctx.pathParam("id");
        if (batches.record(batchId, Auth.tenant(ctx)).isEmpty()) {
            known(batchId);
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Integer, String> e : ordered(batchId).entrySet()) {
            JobResult r = view.result(e.getValue()).orElse(null);
            if (r == null) {
                continue;
            }
            ObjectNode line = json.createObjectNode();
            line.put("id", r.getJobId());
            line.put("custom_id", r.getCustomId());
            ObjectNode response = line.putObject("response");
            response.put("status_code", renderer.status(r));
            response.put("request_id", r.getJobId());
            response.set("body", renderer.syncBody(r));
            if (r.getError() != null) {
                line.putObject("error")
                        .put("code", r.getError().getCode())
                        .put("message", r.getError().getMessage());
            } else {
                line.putNull("error");
            }
            out.append(line).append('\n');
        }
        ctx.status(200).contentType("application/jsonl").result(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private String known(String batchId) {
        if (view.batch(batchId).isEmpty()) {
            throw new ApiException(
                    404,
                    "invalid_request_error",
                    "batch_id",
                    "batch_not_found",
                    "No batch found with id '" + batchId + "'.");
        }
        return batchId;
    }

    private TreeMap<Integer, String> ordered(String batchId) {
        TreeMap<Integer, String> byLine = new TreeMap<>(Comparator.naturalOrder());
        for (String id : view.batch(batchId)) {
            try {
                byLine.put(Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)), id);
            } catch (NumberFormatException e) {
                byLine.put(Integer.MAX_VALUE - byLine.size(), id);
            }
        }
        return byLine;
    }

    private ObjectNode statusCounts(String batchId) {
        int queued = 0, running = 0, succeeded = 0, failed = 0;
        for (String id : view.batch(batchId)) {
            switch (view.state(id).map(JobView.JobState::status).orElse("queued")) {
                case "running" -> running++;
                case "succeeded" -> succeeded++;
                case "failed" -> failed++;
                default -> queued++;
            }
        }
        return json.createObjectNode()
                .put("queued", queued)
                .put("running", running)
                .put("succeeded", succeeded)
                .put("failed", failed);
    }

    private ObjectNode legacySummary(String batchId) {
        ObjectNode counts = statusCounts(batchId);
        int succeeded = counts.path("succeeded").asInt();
        int failed = counts.path("failed").asInt();
        int total = succeeded
                + failed
                + counts.path("queued").asInt()
                + counts.path("running").asInt();
        ObjectNode out = json.createObjectNode();
        out.put("id", batchId);
        out.put("object", "batch");
        out.put("endpoint", BatchParser.CHAT_COMPLETIONS);
        out.put("status", succeeded + failed == total ? "completed" : "in_progress");
        out.putObject("request_counts")
                .put("total", total)
                .put("completed", succeeded)
                .put("failed", failed);
        return out;
    }
}
