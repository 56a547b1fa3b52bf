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
import dev.relay.ingress.kafka.FileContents;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.webhook.TargetGuard;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * {@code /v1/batches}: OpenAI's Batch API over Relay jobs. Two doors: a JSON body naming an uploaded file
 * ({@code {input_file_id, endpoint, completion_window, metadata}}, as the OpenAI SDKs send it), and Relay's own JSONL
 * body. Either way every line becomes an ordinary job (job id = {@code <batch>-<n>}) that keeps its custom id and falls
 * back on its own chain. A file is checked whole before anything is published (one bad line refuses the batch, naming
 * the line), then read again and published in groups: the heap never holds the whole file.
 */
public final class BatchHandler {

    public static final Duration COMPLETION_WINDOW = Duration.ofHours(24);
    private static final int PUBLISH_GROUP = 500;
    private static final int MAX_METADATA = 16;

    private final BodyReader bodies;
    private final BatchParser parser;
    private final JobPublisher publisher;
    private final JobView view;
    private final Catalog catalog;
    private final FileContents files;
    private final Batches batches;
    private final ResultRenderer renderer;
    private final TargetGuard webhookTargets;
    private final ObjectMapper json;
    private final Clock clock;

    public BatchHandler(
            BodyReader bodies,
            BatchParser parser,
            JobPublisher publisher,
            JobView view,
            Catalog catalog,
            FileContents files,
            Batches batches,
            ResultRenderer renderer,
            TargetGuard webhookTargets,
            ObjectMapper json,
            Clock clock) {
        this.bodies = bodies;
        this.parser = parser;
        this.publisher = publisher;
        this.view = view;
        this.catalog = catalog;
        this.files = files;
        this.batches = batches;
        this.renderer = renderer;
        this.webhookTargets = webhookTargets;
        this.json = json;
        this.clock = clock;
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
        ObjectNode record = request != null ? fromFile(request, batchId, tenant) : fromJsonl(text, batchId, tenant);
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

    private ObjectNode fromJsonl(String text, String batchId, String tenant) {
        List<Job> jobs = parser.parse(text, batchId, tenant);
        ObjectNode record = newRecord(batchId, tenant, null, null, json.createObjectNode(), jobs.size(), null);
        catalog.put(batchId, record);
        publish(record, jobs);
        return record;
    }

    private ObjectNode fromFile(JsonNode req, String batchId, String tenant) {
        String fileId = requiredText(req, "input_file_id");
        String endpoint = requiredText(req, "endpoint");
        if (!BatchParser.CHAT_COMPLETIONS.equals(endpoint)) {
            throw ApiException.invalid(
                    "endpoint",
                    "unsupported_value",
                    "endpoint must be " + BatchParser.CHAT_COMPLETIONS + " (Relay batches chat completions only); got '"
                            + endpoint + "'");
        }
        String window = requiredText(req, "completion_window");
        if (!"24h".equals(window)) {
            throw ApiException.invalid(
                    "completion_window", "invalid_value", "completion_window must be '24h'; got '" + window + "'");
        }
        ObjectNode metadata = metadata(req.get("metadata"));
        ObjectNode file = catalog.get(fileId)
                .filter(f -> "file".equals(f.path("object").asText()))
                .filter(f -> java.util.Objects.equals(
                        Batches.textOrNull(f.path("relay").get("tenant")), tenant))
                .orElseThrow(() -> new ApiException(
                        404,
                        "invalid_request_error",
                        "input_file_id",
                        "file_not_found",
                        "No such File object: " + fileId));
        if (!"batch".equals(file.path("purpose").asText())) {
            throw ApiException.invalid(
                    "input_file_id", "invalid_value", "file " + fileId + " was not uploaded with purpose 'batch'");
        }
        Instant created = clock.instant();
        Instant deadline = created.plus(COMPLETION_WINDOW);
        FileContents.Location location = FilesHandler.location(file);
        BatchParser.Lines check = parser.lines(batchId, tenant, deadline);
        forEachLine(fileId, location, check::line);
        int total = check.finish();

        ObjectNode record = newRecord(batchId, tenant, fileId, window, metadata, total, deadline);
        catalog.put(batchId, record);
        BatchParser.Lines build = parser.lines(batchId, tenant, deadline, window);
        List<Job> group = new ArrayList<>(PUBLISH_GROUP);
        forEachLine(fileId, location, (i, line) -> {
            Job job = build.line(i, line);
            if (job != null) {
                group.add(job);
                if (group.size() == PUBLISH_GROUP) {
                    publish(record, group);
                    group.clear();
                }
            }
            return job;
        });
        if (!group.isEmpty()) {
            publish(record, group);
        }
        return record;
    }

    private interface LineSink {
        Job line(int index, String line);
    }

    private void forEachLine(String fileId, FileContents.Location location, LineSink sink) {
        try (InputStream in = files.open(fileId, location)) {
            JsonlLines lines = new JsonlLines(in, Integer.MAX_VALUE - 8);
            for (String line = lines.next(); line != null; line = lines.next()) {
                sink.line(lines.index(), line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read file " + fileId, e);
        }
    }

    private void publish(ObjectNode record, List<Job> jobs) {
        try {
            publisher.publish(jobs);
        } catch (RuntimeException e) {
            record.put("failed_at", clock.millis() / 1000);
            ObjectNode errors = record.putObject("errors");
            errors.put("object", "list");
            errors.putArray("data")
                    .addObject()
                    .put("code", "publish_failed")
                    .put(
                            "message",
                            "Relay could not hand every item to Kafka; items already published still run: "
                                    + e.getMessage());
            try {
                catalog.put(record.path("id").asText(), record);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        jobs.forEach(view::onJob);
    }

    private ObjectNode newRecord(
            String batchId,
            String tenant,
            String fileId,
            String window,
            ObjectNode metadata,
            int total,
            Instant deadline) {
        long now = clock.millis() / 1000;
        ObjectNode r = json.createObjectNode();
        r.put("id", batchId);
        r.put("object", "batch");
        r.put("endpoint", BatchParser.CHAT_COMPLETIONS);
        r.putNull("errors");
        r.put("input_file_id", fileId);
        r.put("completion_window", window);
        r.put("status", "in_progress");
        r.putNull("output_file_id");
        r.putNull("error_file_id");
        r.put("created_at", now);
        r.put("in_progress_at", now);
        if (deadline == null) {
            r.putNull("expires_at");
        } else {
            r.put("expires_at", deadline.getEpochSecond());
        }
        for (String f :
                List.of("finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at")) {
            r.putNull(f);
        }
        r.putObject("request_counts").put("total", total).put("completed", 0).put("failed", 0);
        r.set("metadata", metadata);
        ObjectNode relay = r.putObject("relay");
        relay.put("tenant", tenant);
        relay.put("total", total);
        return r;
    }

    private ObjectNode metadata(JsonNode n) {
        if (n == null || n.isNull()) {
            return json.createObjectNode();
        }
        if (!n.isObject() || n.size() > MAX_METADATA) {
            throw ApiException.invalid(
                    "metadata",
                    "invalid_value",
                    "metadata must be an object of at most " + MAX_METADATA + " string values");
        }
        n.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()
                    || e.getKey().length() > 64
                    || e.getValue().asText().length() > 512) {
                throw ApiException.invalid(
                        "metadata." + e.getKey(),
                        "invalid_value",
                        "metadata values must be strings of at most 512 characters, keys at most 64");
            }
        });
        JsonNode hook = n.get(BatchWebhooks.METADATA_KEY);
        if (hook != null) {
            TargetGuard.Verdict v = webhookTargets.checkSyntaxAndLiteral(hook.asText());
            if (!v.allowed()) {
                throw ApiException.invalid(
                        "metadata." + BatchWebhooks.METADATA_KEY,
                        "invalid_callback_url",
                        "metadata." + BatchWebhooks.METADATA_KEY + " " + v.reason());
            }
        }
        return ((ObjectNode) n).deepCopy();
    }

    private static String requiredText(JsonNode req, String field) {
        JsonNode n = req.get(field);
        if (n == null || !n.isTextual() || n.asText().isEmpty()) {
            throw ApiException.invalid(field, "missing_required_parameter", "'" + field + "' is required (a string)");
        }
        return n.asText();
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
