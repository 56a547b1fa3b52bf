package dev.relay.processor.stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChunkFactory;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.Job;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.StreamChunkKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The failover contract's processor side, for one call:
 * <ul>
 *   <li>Live mode: chunks are held until the first content token (text, refusal or a tool call piece); a call that
 *       fails before it writes nothing, so the caller never sees a failed attempt. From the first token on, each chunk
 *       is written at once unless the previous write was less than {@code window} ago; then it is merged into one
 *       pending chunk, written when the window has passed (so a fast provider costs at most one record per window).
 *       A failure after content writes ABORT (the ingress ends the caller's stream with an in-band error).</li>
 *   <li>Buffered mode: everything is held until the call ends; a success writes the whole answer (merged) and END, a
 *       failure writes nothing, so every failure falls back invisibly.</li>
 * </ul>
 * Thread-safe: chunks arrive on the call's reading thread, the window's flush on a timer thread.
 */
final class StreamTap implements ChunkTap {

    /** Runs a task after a delay (the processor's scheduler; a test's manual clock). */
    interface Timer {
        void after(long nanos, Runnable task);
    }

    /** Largest text a merged chunk carries, well below a record's size limit. */
    static final int MAX_MERGED_CHARS = 64 * 1024;

    private final Job job;
    private final int hop;
    private final int attempt;
    private final String callId;
    private final String provider;
    private final String model;
    private final boolean buffered;
    private final long windowNanos;
    private final Consumer<StreamChunk> out;
    private final Timer timer;
    private final LongSupplier nanos;

    private final List<ObjectNode> held = new ArrayList<>();
    private boolean shown;
    private ObjectNode pending;
    private boolean flushScheduled;
    private long lastWrite;
    private boolean wrote;
    private int seq;
    private boolean finished;

    StreamTap(
            Job job,
            int hop,
            int attempt,
            String callId,
            String provider,
            String model,
            boolean buffered,
            long windowNanos,
            Consumer<StreamChunk> out,
            Timer timer,
            LongSupplier nanos) {
        this.job = job;
        this.hop = hop;
        this.attempt = attempt;
        this.callId = callId;
        this.provider = provider;
        this.model = model;
        this.buffered = buffered;
        this.windowNanos = windowNanos;
        this.out = out;
        this.timer = timer;
        this.nanos = nanos;
    }

    @Override
    public synchronized void chunk(ObjectNode chunk) {
        if (finished) {
            return;
        }
        if (buffered || !shown) {
            held.add(chunk);
            if (buffered || !ChunkFactory.hasContent(chunk)) {
                return;
            }
            shown = true; // the first token goes out at once, with what was held before it
            mergeAll(held).forEach(this::writeDelta);
            held.clear();
            return;
        }
        if (pending != null) {
            ObjectNode merged = mergeable(pending, chunk);
            if (merged != null) {
                pending = merged;
                return;
            }
            writeDelta(pending);
            pending = null;
        }
        long now = nanos.getAsLong();
        if (!wrote || now - lastWrite >= windowNanos) {
            writeDelta(chunk);
        } else {
            pending = chunk;
            if (!flushScheduled) {
                flushScheduled = true;
                timer.after(lastWrite + windowNanos - now, this::flush);
            }
        }
    }

    private synchronized void flush() {
        flushScheduled = false;
        if (pending != null && !finished) {
            writeDelta(pending);
            pending = null;
        }
    }

    @Override
    public synchronized void finish(AttemptOutcome outcome) {
        if (finished) {
            return;
        }
        finished = true;
        switch (outcome) {
            case AttemptOutcome.Success s -> {
                mergeAll(held).forEach(this::writeDelta);
                held.clear();
                if (pending != null) {
                    writeDelta(pending);
                }
                write(StreamChunkKind.END, null, null);
            }
            case AttemptOutcome.Failure f -> {
                held.clear();
                if (shown && !buffered) {
                    if (pending != null) {
                        writeDelta(pending);
                    }
                    ErrorInfo error = ErrorInfo.newBuilder()
                            .setHttpStatus(f.httpStatus().orElse(502))
                            .setType(f.errorType())
                            .setCode(f.errorCode())
                            .setMessage(f.message() == null ? f.failureClass().name() : f.message())
                            .setOutcome(f.failureClass().toOutcomeClass())
                            .build();
                    write(StreamChunkKind.ABORT, null, error);
                }
            }
        }
        pending = null;
    }

    private void writeDelta(ObjectNode chunk) {
        write(StreamChunkKind.DELTA, chunk.toString(), null);
    }

    private void write(StreamChunkKind kind, String json, ErrorInfo error) {
        lastWrite = nanos.getAsLong();
        wrote = true;
        out.accept(StreamChunk.newBuilder()
                .setJobId(job.getJobId())
                .setGeneration(job.getReplayGeneration())
                .setHop(hop)
                .setAttempt(attempt)
                .setCallId(callId)
                .setSeq(seq++)
                .setKind(kind)
                .setChunkJson(json)
                .setProvider(provider)
                .setModel(model)
                .setError(error)
                .setCreatedAt(Instant.now())
                .build());
    }

    private static ObjectNode mergeable(ObjectNode a, ObjectNode b) {
        if (a.at("/choices/0/delta/content").asText("").length() >= MAX_MERGED_CHARS) {
            return null;
        }
        return ChunkMerge.merge(a, b);
    }

    /** Consecutive chunks merged where they can be. */
    static List<ObjectNode> mergeAll(List<ObjectNode> chunks) {
        List<ObjectNode> merged = new ArrayList<>();
        ObjectNode current = null;
        for (ObjectNode c : chunks) {
            ObjectNode m = current == null ? null : mergeable(current, c);
            if (m != null) {
                current = m;
            } else {
                if (current != null) {
                    merged.add(current);
                }
                current = c;
            }
        }
        if (current != null) {
            merged.add(current);
        }
        return merged;
    }
}
