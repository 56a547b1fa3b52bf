package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.Metadata;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.FileContents;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.webhook.TargetGuard;
import dev.relay.schemas.Job;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a new batch comes in: its create request and its input lines are checked, its batch record is written to the
 * catalog, and every line is published as a job (job id = {@code <batch>-<n>}). A file is checked whole before
 * anything is published, then read again and published in groups: the heap never holds the whole file.
 */
public final class BatchIntake {

    public static final Duration COMPLETION_WINDOW = Duration.ofHours(24);
    private static final int PUBLISH_GROUP = 500;

    private final BatchParser parser;
    private final JobPublisher publisher;
    private final JobView view;
    private final Catalog catalog;
    private final FileContents files;
    private final TargetGuard webhookTargets;
    private final ObjectMapper json;
    private final Clock clock;

    public BatchIntake(
            BatchParser parser,
            JobPublisher publisher,
            JobView view,
            Catalog catalog,
            FileContents files,
            TargetGuard webhookTargets,
            ObjectMapper json,
            Clock clock) {
        this.parser = parser;
        this.publisher = publisher;
        this.view = view;
        this.catalog = catalog;
        this.files = files;
        this.webhookTargets = webhookTargets;
        this.json = json;
        this.clock = clock;
    }

    /** Relay's own JSONL body: every line parsed (one bad line refuses the batch), then published. */
    ObjectNode fromJsonl(String text, String batchId, String tenant) {
        List<Job> jobs = parser.parse(text, batchId, tenant);
        ObjectNode record = newRecord(batchId, tenant, null, null, json.createObjectNode(), jobs.size(), null);
        catalog.put(batchId, record);
        publish(record, jobs);
        return record;
    }

    /**
     * OpenAI's create body naming an uploaded file: the request and the file are checked, then every line of the file
     * (one bad line refuses the batch, naming it) before anything is published; then the file is read again and
     * published in groups.
     */
    ObjectNode fromFile(JsonNode req, String batchId, String tenant) {
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
        Map<String, String> pairs = Metadata.check(n);
        String hook = pairs.get(BatchWebhooks.METADATA_KEY);
        if (hook != null) {
            TargetGuard.Verdict v = webhookTargets.checkSyntaxAndLiteral(hook);
            if (!v.allowed()) {
                throw ApiException.invalid(
                        "metadata." + BatchWebhooks.METADATA_KEY,
                        "invalid_callback_url",
                        "metadata." + BatchWebhooks.METADATA_KEY + " " + v.reason());
            }
        }
        ObjectNode out = json.createObjectNode();
        pairs.forEach(out::put);
        return out;
    }

    private static String requiredText(JsonNode req, String field) {
        JsonNode n = req.get(field);
        if (n == null || !n.isTextual() || n.asText().isEmpty()) {
            throw ApiException.invalid(field, "missing_required_parameter", "'" + field + "' is required (a string)");
        }
        return n.asText();
    }
}
