package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.IngressSettings;
import dev.relay.ingress.kafka.ChunkRecord;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.kafka.StreamSource;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.StreamSpec;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming answers. {@code POST /v1/chat/completions} with {@code stream: true}: the job is written to Kafka first,
 * then the caller gets {@code text/event-stream} chunks as the processor writes them to this instance's partition of
 * {@code relay.stream}; a job that fails before any content is answered like a sync call (the primary's status and
 * error body). {@code GET /v1/jobs/{id}/stream}: on any instance, the job's chunks from its partition (from the start,
 * or after {@code Last-Event-ID}), then live; a finished job's answer from its result. A caller that disconnects does
 * not cancel the job.
 */
public final class StreamHandler {

    private static final Logger log = LoggerFactory.getLogger(StreamHandler.class);

    /** How long a stream with nothing to send waits before it sends an SSE comment (keeps proxies from closing it). */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /** After the job's result arrived, how long chunks still in flight may take to arrive. */
    static final Duration AFTER_RESULT = Duration.ofSeconds(1);
    /** A resume reads chunks from this long before the job was submitted (clocks of other machines may differ). */
    static final Duration CLOCK_MARGIN = Duration.ofMinutes(1);

    private final JobSubmitter submitter;
    private final JobView view;
    private final StreamSource source;
    private final ResultRenderer renderer;
    private final ErrorMapper errors;
    private final ObjectMapper json;
    private final IngressSettings settings;
    private final Timeouts timeouts;
    private final AtomicInteger open = new AtomicInteger();

    public StreamHandler(
            JobSubmitter submitter,
            JobView view,
            StreamSource source,
            ResultRenderer renderer,
            ErrorMapper errors,
            ObjectMapper json,
            IngressSettings settings,
            Timeouts timeouts) {
        this.submitter = submitter;
        this.view = view;
        this.source = source;
        this.renderer = renderer;
        this.errors = errors;
        this.json = json;
        this.settings = settings;
        this.timeouts = timeouts;
    }

    /** Streams open right now (a gauge). */
    public int open() {
        return open.get();
    }

    /** The StreamSpec a streaming request accepted here gets (the partition this instance reads). */
    public StreamSpec spec(Context ctx, JsonNode body) {
        return StreamRequests.spec(ctx, body, settings, source.partition());
    }

    /** {@code POST /v1/chat/completions} with {@code stream: true}. */
    public void chat(Context ctx, JsonNode body) throws InterruptedException {
        Duration firstEvent = timeouts.resolve(ctx.header(Timeouts.HEADER));
        StreamSpec spec = spec(ctx, body);
        AtomicReference<StreamSource.Subscription> sub = new AtomicReference<>();
        JobSubmitter.Accepted a;
        try {
            a = submitter.submit(
                    body,
                    Auth.tenant(ctx),
                    ctx.header("Idempotency-Key"),
                    false,
                    true,
                    spec,
                    id -> sub.set(source.subscribe(id)));
        } catch (RuntimeException e) {
            closeQuietly(sub.get());
            throw e;
        }
        ctx.header(ChatHandler.JOB_ID_HEADER, a.jobId());
        if (!a.created()) { // an Idempotency-Key repeat: attach to the earlier job's stream
            closeQuietly(sub.get());
            ctx.header("Idempotent-Replayed", "true");
            attach(ctx, a.jobId(), null, true, firstEvent);
            return;
        }
        try (StreamSource.Subscription s = sub.get()) {
            CallerStream.Hold hold = spec.getBuffered() ? CallerStream.Hold.UNTIL_END : CallerStream.Hold.NONE;
            serve(ctx, a.jobId(), 0, spec.getIncludeUsage(), hold, s, a.result(), null, true, firstEvent);
        }
    }

    /** {@code GET /v1/jobs/{id}/stream}. */
    public void resume(Context ctx) throws InterruptedException {
        String id = ctx.pathParam("id");
        Long after = lastEventId(ctx.header("Last-Event-ID"));
        if (view.state(id).isEmpty()) {
            throw new ApiException(404, "invalid_request_error", "id", "job_not_found", "no job with id '" + id + "'");
        }
        ctx.header(ChatHandler.JOB_ID_HEADER, id);
        attach(ctx, id, after, false, timeouts.resolve(null));
    }

    private void attach(Context ctx, String id, Long after, boolean httpErrors, Duration firstEvent)
            throws InterruptedException {
        JobView.JobState state = view.state(id)
                .orElseThrow(() -> new ApiException(
                        404, "invalid_request_error", "id", "job_not_found", "no job with id '" + id + "'"));
        JobView.JobInfo info = state.job().orElse(null);
        int generation = info != null
                ? info.generation()
                : state.result().map(JobResult::getReplayGeneration).orElse(0);
        Optional<JobResult> ended = state.result().filter(r -> r.getReplayGeneration() >= generation);
        StreamSpec spec = info == null ? null : info.stream();
        boolean usage = spec != null && spec.getIncludeUsage();
        if (ended.isPresent() && (after == null || spec == null)) {
            answerFromResult(ctx, null, ended.get(), usage, httpErrors);
            return;
        }
        CompletableFuture<JobResult> result =
                ended.map(CompletableFuture::completedFuture).orElseGet(() -> view.awaitResult(id));
        if (spec == null) { // a job without streaming: its answer as a stream once it ends
            try (StreamSource.Subscription none = StreamSource.NONE.subscribe(id)) {
                serve(ctx, id, generation, false, CallerStream.Hold.NONE, none, result, null, httpErrors, firstEvent);
            }
            return;
        }
        try (StreamSource.Subscription s = source.replay(
                id,
                spec.getReplyPartition(),
                after == null ? -1 : after,
                info.submittedAt() - CLOCK_MARGIN.toMillis())) {
            // a late attacher is not shown calls aborted or superseded before it caught up; a buffered job's caller
            // only calls that ended cleanly
            CallerStream.Hold hold = spec.getBuffered()
                    ? CallerStream.Hold.UNTIL_END
                    : after == null ? CallerStream.Hold.UNTIL_CAUGHT_UP : CallerStream.Hold.NONE;
            serve(ctx, id, generation, usage, hold, s, result, after, httpErrors, firstEvent);
        }
    }

    /**
     * Writes the job's stream to the caller until it ends. The response is committed at the first thing to send, so
     * a job that fails before any content can still answer with an HTTP error status ({@code httpErrors}).
     */
    private void serve(
            Context ctx,
            String jobId,
            int generation,
            boolean includeUsage,
            CallerStream.Hold hold,
            StreamSource.Subscription sub,
            CompletableFuture<JobResult> result,
            Long after,
            boolean httpErrors,
            Duration firstEvent)
            throws InterruptedException {
        open.incrementAndGet();
        CallerStream stream = new CallerStream(jobId, includeUsage, settings.maxStreamBytes(), json, hold);
        SseWriter out = null;
        long start = System.nanoTime();
        long lastWrite = start;
        long resultSeen = 0;
        try {
            while (true) {
                ChunkRecord r = sub.poll(Duration.ofMillis(50));
                long now = System.nanoTime();
                if (r != null) {
                    if (r.chunk().getGeneration() != generation) {
                        continue;
                    }
                    if (after != null && r.offset() <= after) {
                        stream.seen(r);
                        continue;
                    }
                    var outs = stream.on(r);
                    if (!outs.isEmpty()) {
                        out = out == null ? SseWriter.start(ctx) : out;
                        write(out, outs);
                        lastWrite = now;
                    }
                    if (stream.done()) {
                        return;
                    }
                    continue;
                }
                if (stream.waitingForCatchUp() && sub.caughtUp()) {
                    var outs = stream.caughtUp();
                    if (!outs.isEmpty()) {
                        out = out == null ? SseWriter.start(ctx) : out;
                        write(out, outs);
                        lastWrite = now;
                    }
                    if (stream.done()) {
                        return;
                    }
                }
                if (resultSeen == 0 && result.isDone()) {
                    resultSeen = now;
                }
                if (resultSeen != 0 && now - resultSeen > AFTER_RESULT.toNanos() && sub.caughtUp()) {
                    JobResult done = result.join();
                    if (stream.shown()) {
                        write(out, stream.interruptedWithoutEnd());
                    } else if (after != null && stream.done()) {
                        return; // the caller had seen the end already
                    } else {
                        answerFromResult(ctx, out, done, includeUsage, httpErrors);
                    }
                    return;
                }
                if (out == null && now - start > firstEvent.toNanos()) {
                    ObjectNode body = errors.body(
                            504,
                            "timeout",
                            null,
                            "result_timeout",
                            "no chunk within "
                                    + firstEvent.toMillis() + " ms; the job is still running: GET /v1/jobs/" + jobId
                                    + "/stream");
                    body.put("job_id", jobId);
                    Responses.json(ctx, 504, body, json);
                    return;
                }
                if (out != null && now - lastWrite > KEEP_ALIVE.toNanos()) {
                    out.comment("keep-alive");
                    lastWrite = now;
                }
            }
        } catch (IOException gone) {
            log.debug("stream caller of job {} went away: {}", jobId, gone.toString());
        } finally {
            open.decrementAndGet();
        }
    }

    private static void write(SseWriter out, java.util.List<CallerStream.Out> outs) throws IOException {
        for (CallerStream.Out o : outs) {
            switch (o) {
                case CallerStream.Out.Event e -> out.event(e.id(), e.json());
                case CallerStream.Out.Done d -> out.done();
                case CallerStream.Out.Error e -> out.error(e.json());
            }
        }
    }

    /** The finished job's answer: chunks and [DONE], or its error (as an HTTP error while nothing was sent). */
    private void answerFromResult(Context ctx, SseWriter out, JobResult r, boolean includeUsage, boolean httpErrors) {
        try {
            if (r.getStatus() != JobStatus.SUCCEEDED) {
                if (out == null && httpErrors) {
                    Responses.json(ctx, renderer.status(r), renderer.syncBody(r), json);
                    return;
                }
                SseWriter w = out == null ? SseWriter.start(ctx) : out;
                ObjectNode body = renderer.syncBody(r);
                ((ObjectNode) body.path("error")).put("job_id", r.getJobId());
                w.error(body.toString());
                return;
            }
            SseWriter w = out == null ? SseWriter.start(ctx) : out;
            JsonNode completion = json.readTree(r.getResponseJson());
            long bytes = 0;
            for (String chunk : ResultChunks.of(r, completion, includeUsage, json)) {
                bytes += chunk.length();
                if (bytes > settings.maxStreamBytes()) { // the same cap as a stream read from relay.stream
                    w.error(new CallerStream(r.getJobId(), includeUsage, settings.maxStreamBytes(), json).tooLong());
                    return;
                }
                w.data(chunk);
            }
            w.done();
        } catch (IOException gone) {
            log.debug("stream caller of job {} went away: {}", r.getJobId(), gone.toString());
        }
    }

    static Long lastEventId(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            long v = Long.parseLong(header.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(
                    "Last-Event-ID",
                    "invalid_header",
                    "Last-Event-ID must be the id of an event of this stream (a non-negative integer), got '" + header
                            + "'");
        }
    }

    private static void closeQuietly(StreamSource.Subscription s) {
        if (s != null) {
            s.close();
        }
    }
}
