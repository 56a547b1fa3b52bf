package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.JobView;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import java.time.Clock;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The state of batches, derived: the catalog holds what a batch was created with (and a cancel or a failure), the
 * job view holds each item's result. Every instance derives the same status from the same topics, so nothing has to
 * move a batch from one state to the next: {@code in_progress} until every item has a result, then
 * {@code completed} (or {@code cancelled} once cancelling, {@code expired} past {@code expires_at} with items left).
 * Output and error files are rendered from the results, as OpenAI's line format, under derived file ids.
 */
public final class Batches {

    public static final String OUTPUT_SUFFIX = "-output";
    public static final String ERRORS_SUFFIX = "-errors";
    /** OpenAI's error code of a batch item that was not executed because its batch was cancelled. */
    static final String BATCH_CANCELLED = "batch_cancelled";

    private static final String CANCELLED_MESSAGE = "This request was not executed because the batch was cancelled.";

    /**
     * How far a batch's items have come; {@code batchTier} of the succeeded items were served by a provider's batch API
     * ({@code service_tier} batch), the others by real-time calls.
     */
    public record Progress(int total, int succeeded, int failed, long lastCompletedAt, int batchTier, int cancelled) {
        public boolean ended() {
            return total > 0 && succeeded + failed >= total;
        }
    }

    private final Catalog catalog;
    private final JobView view;
    private final ResultRenderer renderer;
    private final ObjectMapper json;
    private final Clock clock;

    public Batches(Catalog catalog, JobView view, ResultRenderer renderer, ObjectMapper json, Clock clock) {
        this.catalog = catalog;
        this.view = view;
        this.renderer = renderer;
        this.json = json;
        this.clock = clock;
    }

    /** The batch's catalog record, if it exists and belongs to {@code tenant}. */
    public Optional<ObjectNode> record(String batchId, String tenant) {
        return catalog.get(batchId)
                .filter(r -> "batch".equals(r.path("object").asText()))
                .filter(r -> Objects.equals(textOrNull(r.path("relay").get("tenant")), tenant));
    }

    public ObjectNode known(String batchId, String tenant) {
        return record(batchId, tenant)
                .orElseThrow(() -> new ApiException(
                        404,
                        "invalid_request_error",
                        "batch_id",
                        "batch_not_found",
                        "No batch found with id '" + batchId + "'."));
    }

    public Progress progress(String batchId, int total) {
        int succeeded = 0;
        int failed = 0;
        int batchTier = 0;
        int cancelled = 0;
        long last = 0;
        for (String id : view.batch(batchId)) {
            JobResult r = view.result(id).orElse(null);
            if (r == null) {
                continue;
            }
            if (r.getStatus() == JobStatus.SUCCEEDED) {
                succeeded++;
                if (servedByBatchTier(r)) {
                    batchTier++;
                }
            } else {
                failed++;
                if (cancelledItem(r)) {
                    cancelled++;
                }
            }
            last = Math.max(last, r.getCompletedAt().toEpochMilli());
        }
        return new Progress(total, succeeded, failed, last, batchTier, cancelled);
    }

    /** An item the processor ended because its batch was cancelled (it never ran, or its provider batch was). */
    static boolean cancelledItem(JobResult r) {
        return r.getStatus() == JobStatus.FAILED
                && r.getError() != null
                && BATCH_CANCELLED.equals(r.getError().getCode());
    }

    /** Whether the attempt that answered (the last one) was an item of a provider batch. */
    static boolean servedByBatchTier(JobResult r) {
        var attempts = r.getAttempts();
        return !attempts.isEmpty()
                && "batch".equals(attempts.get(attempts.size() - 1).getServiceTier());
    }

    /** OpenAI's batch object for a catalog record, with its status and counts as of now. */
    public ObjectNode render(ObjectNode record) {
        String id = record.path("id").asText();
        int total = record.path("relay").path("total").asInt();
        Progress p = progress(id, total);
        ObjectNode out = record.deepCopy();
        out.remove("relay");
        long now = clock.millis() / 1000;
        long last = p.lastCompletedAt() == 0 ? now : p.lastCompletedAt() / 1000;
        String status;
        if (record.hasNonNull("failed_at")) {
            status = "failed";
        } else if (record.hasNonNull("cancelling_at")) {
            status = p.ended() ? "cancelled" : "cancelling";
            if (p.ended()) {
                out.put(
                        "cancelled_at",
                        Math.max(last, record.path("cancelling_at").asLong()));
            }
        } else if (p.ended()) {
            status = "completed";
            out.put("finalizing_at", last);
            out.put("completed_at", last);
        } else if (record.path("expires_at").isNumber()
                && now > record.path("expires_at").asLong()) {
            status = "expired";
            out.put("expired_at", record.path("expires_at").asLong());
        } else {
            status = "in_progress";
        }
        out.put("status", status);
        boolean ended = isEnded(status);
        if (ended && !"failed".equals(status)) {
            out.put("output_file_id", p.succeeded() > 0 ? "file-" + id + OUTPUT_SUFFIX : null);
            out.put(
                    "error_file_id",
                    p.failed() > 0 || p.succeeded() + p.failed() < total ? "file-" + id + ERRORS_SUFFIX : null);
        }
        out.putObject("request_counts")
                .put("total", total)
                .put("completed", p.succeeded())
                .put("failed", p.failed());
        // Relay's own: how many items each tier served (a provider's batch API, or real-time calls)
        ObjectNode relay = out.putObject("relay");
        relay.putObject("tiers").put("batch", p.batchTier()).put("realtime", p.succeeded() - p.batchTier());
        // Relay's own: of the failed items, those ended by the cancel (in the error file as batch_cancelled)
        relay.put("cancelled", p.cancelled());
        JsonNode webhook = record.path("relay").get("webhook");
        if (webhook != null) {
            out.set("webhook", webhook.deepCopy());
        }
        return out;
    }

    public static boolean isEnded(String status) {
        return switch (status) {
            case "completed", "failed", "expired", "cancelled" -> true;
            default -> false;
        };
    }

    /** Marks the batch cancelling; refused (409) for a batch that has ended. */
    public ObjectNode cancel(String batchId, String tenant) {
        ObjectNode record = known(batchId, tenant);
        ObjectNode now = render(record);
        String status = now.path("status").asText();
        if (isEnded(status) || "cancelling".equals(status)) {
            if ("cancelling".equals(status)) {
                return now;
            }
            throw new ApiException(
                    409,
                    "invalid_request_error",
                    "batch_id",
                    "batch_not_cancellable",
                    "Cannot cancel a batch with status '" + status + "'.");
        }
        record.put("cancelling_at", clock.millis() / 1000);
        catalog.put(batchId, record);
        return render(record);
    }

    /** A derived output or error file id's batch id and kind, if {@code fileId} is one. */
    public record Derived(String batchId, boolean errors) {}

    public static Optional<Derived> derived(String fileId) {
        if (!fileId.startsWith("file-batch_")) {
            return Optional.empty();
        }
        if (fileId.endsWith(OUTPUT_SUFFIX)) {
            return Optional.of(new Derived(fileId.substring(5, fileId.length() - OUTPUT_SUFFIX.length()), false));
        }
        if (fileId.endsWith(ERRORS_SUFFIX)) {
            return Optional.of(new Derived(fileId.substring(5, fileId.length() - ERRORS_SUFFIX.length()), true));
        }
        return Optional.empty();
    }

    /**
     * The lines of a batch's output (successes) or error file (failures, and items with no result in an expired or
     * cancelled batch), in input order, rendered one at a time.
     */
    public Iterator<String> lines(ObjectNode record, boolean errors) {
        String batchId = record.path("id").asText();
        String status = render(record).path("status").asText();
        TreeMap<Integer, String> ordered = new TreeMap<>();
        for (String id : view.batch(batchId)) {
            try {
                ordered.put(Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)), id);
            } catch (NumberFormatException e) {
                // not an item of this batch's numbering: skipped
            }
        }
        Iterator<Map.Entry<Integer, String>> items = ordered.entrySet().iterator();
        return new Iterator<>() {
            String next = advance();

            private String advance() {
                while (items.hasNext()) {
                    String line = line(items.next().getValue(), errors, status);
                    if (line != null) {
                        return line;
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public String next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                String out = next;
                next = advance();
                return out;
            }
        };
    }

    private String line(String jobId, boolean errors, String status) {
        JobResult r = view.result(jobId).orElse(null);
        ObjectNode line = json.createObjectNode();
        line.put("id", "batch_req_" + jobId.substring(jobId.indexOf('_') + 1).replace("-", "_"));
        if (r != null && cancelledItem(r)) {
            if (!errors) {
                return null;
            }
            line.put("custom_id", r.getCustomId());
            line.putNull("response");
            line.putObject("error").put("code", BATCH_CANCELLED).put("message", CANCELLED_MESSAGE);
            return line.toString();
        }
        if (r == null) {
            if (!errors || !("expired".equals(status) || "cancelled".equals(status))) {
                return null;
            }
            line.put(
                    "custom_id",
                    view.state(jobId)
                            .flatMap(JobView.JobState::job)
                            .map(JobView.JobInfo::customId)
                            .orElse(null));
            line.putNull("response");
            boolean expired = "expired".equals(status);
            line.putObject("error")
                    .put("code", expired ? "batch_expired" : BATCH_CANCELLED)
                    .put(
                            "message",
                            expired
                                    ? "This request could not be executed before the completion window expired."
                                    : CANCELLED_MESSAGE);
            return line.toString();
        }
        boolean ok = r.getStatus() == JobStatus.SUCCEEDED;
        if (ok == errors) {
            return null;
        }
        line.put("custom_id", r.getCustomId());
        ObjectNode response = line.putObject("response");
        response.put("status_code", renderer.status(r));
        response.put("request_id", r.getJobId());
        response.set("body", renderer.syncBody(r));
        line.putNull("error");
        return line.toString();
    }

    /** OpenAI's file object for a derived output or error file. */
    public ObjectNode derivedFile(String fileId, ObjectNode record, boolean errors) {
        long bytes = 0;
        for (Iterator<String> it = lines(record, errors); it.hasNext(); ) {
            bytes += it.next().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        }
        ObjectNode f = json.createObjectNode();
        f.put("id", fileId);
        f.put("object", "file");
        f.put("bytes", bytes);
        ObjectNode batch = render(record);
        f.put(
                "created_at",
                batch.path("completed_at").isNumber()
                        ? batch.path("completed_at").asLong()
                        : clock.millis() / 1000);
        f.put("filename", record.path("id").asText() + (errors ? "_error.jsonl" : "_output.jsonl"));
        f.put("purpose", "batch_output");
        f.put("status", "processed");
        f.putNull("status_details");
        return f;
    }

    static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
