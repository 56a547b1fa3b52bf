package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.Auth;
import dev.relay.ingress.http.BodyReader;
import dev.relay.ingress.http.JobSubmitter;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.http.Responses;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Batches are plain jobs that share a batch id (job id = {@code <batch>-<line>}), so each item falls back on its own and
 * the batch's state is whatever Kafka holds about its jobs: it survives restarts and is the same on every instance.
 */
public final class BatchHandler {

    private final BodyReader bodies;
    private final BatchParser parser;
    private final JobPublisher publisher;
    private final JobView view;
    private final ResultRenderer renderer;
    private final ObjectMapper json;

    public BatchHandler(BodyReader bodies, BatchParser parser, JobPublisher publisher, JobView view,
            ResultRenderer renderer, ObjectMapper json) {
        this.bodies = bodies;
        this.parser = parser;
        this.publisher = publisher;
        this.view = view;
        this.renderer = renderer;
        this.json = json;
    }

    public void create(Context ctx) {
        String key = ctx.header("Idempotency-Key");
        JobSubmitter.validateKey(key);
        String batchId = key == null ? "batch_" + UUID.randomUUID().toString().replace("-", "")
                : "batch_" + JobSubmitter.derivedId(Auth.tenant(ctx), "batch\u0000" + key).substring(4);
        String text = bodies.text(ctx, bodies.maxBytes() * 100, "application/jsonl", "application/x-ndjson",
                "application/json", "text/plain");
        List<Job> jobs = parser.parse(text, batchId, Auth.tenant(ctx));
        if (key != null && !view.batch(batchId).isEmpty()) {
            ctx.header("Idempotent-Replayed", "true");
            Responses.json(ctx, 200, summary(batchId), json);
            return;
        }
        publisher.publish(jobs);
        jobs.forEach(view::onJob);
        Responses.json(ctx, 200, summary(batchId), json);
    }

    public void get(Context ctx) {
        Responses.json(ctx, 200, summary(known(ctx.pathParam("id"))), json);
    }

    public void output(Context ctx) {
        String batchId = known(ctx.pathParam("id"));
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
                line.putObject("error").put("code", r.getError().getCode()).put("message", r.getError().getMessage());
            } else {
                line.putNull("error");
            }
            out.append(line).append('\n');
        }
        ctx.status(200).contentType("application/jsonl").result(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private String known(String batchId) {
        if (view.batch(batchId).isEmpty()) {
            throw new ApiException(404, "invalid_request_error", "id", "batch_not_found", "no batch with id '" + batchId + "'");
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

    private ObjectNode summary(String batchId) {
        int queued = 0, running = 0, succeeded = 0, failed = 0;
        for (String id : view.batch(batchId)) {
            switch (view.state(id).map(JobView.JobState::status).orElse("queued")) {
                case "running" -> running++;
                case "succeeded" -> succeeded++;
                case "failed" -> failed++;
                default -> queued++;
            }
        }
        int total = queued + running + succeeded + failed;
        ObjectNode out = json.createObjectNode();
        out.put("id", batchId);
        out.put("object", "batch");
        out.put("endpoint", "/v1/chat/completions");
        out.put("status", succeeded + failed == total ? "completed" : "in_progress");
        ObjectNode counts = out.putObject("request_counts");
        counts.put("total", total).put("completed", succeeded).put("failed", failed);
        out.putObject("status_counts").put("queued", queued).put("running", running).put("succeeded", succeeded)
                .put("failed", failed);
        return out;
    }
}
