package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.schemas.JobResult;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code POST /v1/chat/completions}: publish the job, then wait (on this request's virtual thread) for its result
 * from the results topic. The answer is the answering provider's chat.completion plus {@code extra_fields}, or the
 * primary's status and error, or 504 with the job id when the wait runs out.
 */
public final class ChatHandler {

    public static final String JOB_ID_HEADER = "x-relay-job-id";

    private final BodyReader bodies;
    private final JobSubmitter submitter;
    private final ResultRenderer renderer;
    private final Timeouts timeouts;
    private final ErrorMapper errors;
    private final ObjectMapper json;
    private final AtomicInteger waiting = new AtomicInteger();
    private final StreamHandler streams;

    public ChatHandler(
            BodyReader bodies,
            JobSubmitter submitter,
            ResultRenderer renderer,
            Timeouts timeouts,
            ErrorMapper errors,
            ObjectMapper json) {
        this(bodies, submitter, renderer, timeouts, errors, json, null);
    }

    /** {@code streams} answers requests with {@code stream: true} (null: refused with a 400). */
    public ChatHandler(
            BodyReader bodies,
            JobSubmitter submitter,
            ResultRenderer renderer,
            Timeouts timeouts,
            ErrorMapper errors,
            ObjectMapper json,
            StreamHandler streams) {
        this.streams = streams;
        this.bodies = bodies;
        this.submitter = submitter;
        this.renderer = renderer;
        this.timeouts = timeouts;
        this.errors = errors;
        this.json = json;
    }

    /** Sync calls currently waiting for a result (a gauge). */
    public int waiting() {
        return waiting.get();
    }

    public void handle(Context ctx) throws InterruptedException {
        Duration timeout = timeouts.resolve(ctx.header(Timeouts.HEADER));
        JsonNode body = bodies.jsonObject(ctx);
        if (StreamRequests.wanted(body)) {
            if (streams == null) {
                throw ApiException.invalid("stream", "streaming_unsupported", "stream: true is not supported here");
            }
            streams.chat(ctx, body);
            return;
        }
        JobSubmitter.Accepted accepted =
                submitter.submit(body, Auth.tenant(ctx), ctx.header("Idempotency-Key"), false, true);
        ctx.header(JOB_ID_HEADER, accepted.jobId());
        waiting.incrementAndGet();
        try {
            JobResult result = accepted.result().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Responses.json(ctx, renderer.status(result), renderer.syncBody(result), json);
        } catch (TimeoutException e) {
            ObjectNode body504 = errors.body(
                    504,
                    "timeout",
                    null,
                    "result_timeout",
                    "no result within " + timeout.toMillis() + " ms; the job is still running: GET /v1/jobs/"
                            + accepted.jobId());
            body504.put("job_id", accepted.jobId());
            body504.putObject("extra_fields").put("job_id", accepted.jobId());
            Responses.json(ctx, 504, body504, json);
        } catch (ExecutionException e) {
            throw new IllegalStateException("result future failed", e.getCause());
        } finally {
            waiting.decrementAndGet();
        }
    }
}
