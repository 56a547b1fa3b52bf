package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.kafka.ChunkRecord;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.StreamChunkKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The failover contract's caller side: what one caller's stream shows of a job's chunk records. The first call whose
 * chunks are shown is the one shown (the processor writes a call's chunks only from its first token on, or, buffered,
 * only after its clean end); END of that call ends the stream with {@code [DONE]}; ABORT of it, or chunks of any
 * other call (a call issued again under a new attempt number after a processor crash), end it with an in-band
 * {@code stream_interrupted} error and no {@code [DONE]}: a cut answer is never passed off as complete.
 *
 * <p>Two modes hold a call's chunks before showing them ({@link Hold}): a buffered job's stream shows a call only
 * once its END arrived, so a call cut while its answer was being written (a processor killed mid-flush) is never
 * shown; a late attacher (a fresh {@code GET /v1/jobs/{id}/stream}) holds while it reads the job's chunks so far, so
 * calls that were aborted or superseded before it caught up are not replayed to it as content. Deterministic in the
 * records, so a resume that reads the same records from an offset shows exactly what follows it.
 */
final class CallerStream {

    /** What to write to the caller. */
    sealed interface Out {
        /** {@code id} is the chunk's offset (the SSE event id a resume names in Last-Event-ID). */
        record Event(long id, String json) implements Out {}

        record Done() implements Out {}

        record Error(String json) implements Out {}
    }

    /** When a call's chunks are held back before they are shown. */
    enum Hold {
        /** Never: each chunk is shown as it arrives (a live caller; a resume after a Last-Event-ID). */
        NONE,
        /** Until the call's END (a buffered job): a call that never ends cleanly is never shown. */
        UNTIL_END,
        /**
         * Until the reader caught up with the job's chunks so far (a late attacher): a call aborted or superseded by
         * then is dropped unseen; from then on the stream is live.
         */
        UNTIL_CAUGHT_UP
    }

    private final String jobId;
    private final boolean includeUsage;
    private final long maxBytes;
    private final ObjectMapper json;
    private Hold hold;
    private final List<ChunkRecord> held = new ArrayList<>();
    private String heldCall;
    private long heldBytes;
    private String shownCall;
    private boolean done;
    private long bytes;

    CallerStream(String jobId, boolean includeUsage, long maxBytes, ObjectMapper json) {
        this(jobId, includeUsage, maxBytes, json, Hold.NONE);
    }

    CallerStream(String jobId, boolean includeUsage, long maxBytes, ObjectMapper json, Hold hold) {
        this.jobId = jobId;
        this.includeUsage = includeUsage;
        this.maxBytes = maxBytes;
        this.json = json;
        this.hold = hold;
    }

    boolean done() {
        return done;
    }

    boolean shown() {
        return shownCall != null;
    }

    /**
     * A record up to the caller's Last-Event-ID: it only sets which call is shown, the call of the last such record
     * (the one the caller's last event came from; calls before it were dropped unseen or ended already).
     */
    void seen(ChunkRecord r) {
        String call = r.chunk().getCallId();
        if (!call.equals(shownCall)) {
            shownCall = call;
            done = false;
        }
        if (r.chunk().getKind() != StreamChunkKind.DELTA) {
            done = true;
        }
        hold = Hold.NONE; // the caller is attached to the call it was shown
    }

    /** Whether chunks are held until the reader caught up ({@link #caughtUp} then shows them). */
    boolean waitingForCatchUp() {
        return hold == Hold.UNTIL_CAUGHT_UP && !done;
    }

    /** The reader has read the job's chunks so far: a late attacher's held call is shown, and the stream goes live. */
    List<Out> caughtUp() {
        return hold == Hold.UNTIL_CAUGHT_UP ? release() : List.of();
    }

    List<Out> on(ChunkRecord r) {
        if (done) {
            return List.of();
        }
        if (hold != Hold.NONE) {
            return held(r);
        }
        return show(r);
    }

    /** A record while calls are held: kept, dropped with its call, or (END) shown with the whole call. */
    private List<Out> held(ChunkRecord r) {
        StreamChunk c = r.chunk();
        if (heldCall != null && !heldCall.equals(c.getCallId())) {
            drop(); // superseded: a call issued again after a crash, or the next attempt after an unseen abort
        }
        heldCall = c.getCallId();
        return switch (c.getKind()) {
            case DELTA -> {
                held.add(r);
                heldBytes += c.getChunkJson() == null ? 0 : c.getChunkJson().length();
                yield heldBytes > maxBytes ? release() : List.of(); // the heap stays bounded
            }
            case END -> {
                List<Out> outs = new ArrayList<>(release());
                outs.addAll(show(r));
                yield outs;
            }
            case ABORT -> {
                drop(); // the call failed before this caller saw any of it
                yield List.of();
            }
        };
    }

    private void drop() {
        held.clear();
        heldCall = null;
        heldBytes = 0;
    }

    /** Shows the held call and stops holding. */
    private List<Out> release() {
        hold = Hold.NONE;
        List<Out> outs = new ArrayList<>();
        for (ChunkRecord r : held) {
            outs.addAll(show(r));
        }
        drop();
        return outs;
    }

    private List<Out> show(ChunkRecord r) {
        if (done) {
            return List.of();
        }
        StreamChunk c = r.chunk();
        if (shownCall != null && !shownCall.equals(c.getCallId())) {
            return interrupted(c, "the call was issued again (the processor restarted)");
        }
        return switch (c.getKind()) {
            case DELTA -> delta(r);
            case END -> {
                done = true;
                shownCall = c.getCallId();
                yield List.of(new Out.Done());
            }
            case ABORT -> {
                if (shownCall == null) {
                    yield List.of(); // nothing of it was shown: not this caller's concern
                }
                String why = c.getError() == null
                        ? "the call failed"
                        : c.getError().getOutcome() + ": " + c.getError().getMessage();
                yield interrupted(c, why);
            }
        };
    }

    private List<Out> delta(ChunkRecord r) {
        StreamChunk c = r.chunk();
        ObjectNode chunk;
        try {
            chunk = (ObjectNode) json.readTree(c.getChunkJson());
        } catch (IOException | ClassCastException e) {
            return List.of();
        }
        boolean usageOnly = chunk.path("choices").isEmpty() && chunk.has("usage");
        if (usageOnly && !includeUsage) {
            return List.of();
        }
        if (!includeUsage) {
            chunk.remove("usage");
        }
        if (shownCall == null) {
            shownCall = c.getCallId();
            ObjectNode extra = chunk.putObject("extra_fields");
            extra.put("provider", c.getProvider());
            extra.put("model", c.getModel());
            extra.put("job_id", jobId);
            extra.put("fallback_index", c.getHop());
        }
        String text = chunk.toString();
        bytes += text.length();
        if (bytes > maxBytes) {
            done = true;
            return List.of(new Out.Error(tooLong()));
        }
        return List.of(new Out.Event(r.offset(), text));
    }

    /** The in-band error that ends a stream past {@code max_stream_bytes}. */
    String tooLong() {
        return error(
                "server_error",
                "stream_too_long",
                "the stream of job " + jobId
                        + " passed the ingress's max_stream_bytes (" + maxBytes
                        + "); the whole answer is at GET /v1/jobs/"
                        + jobId);
    }

    /** Ends the stream: the shown call did not finish. */
    List<Out> interrupted(StreamChunk c, String why) {
        done = true;
        return List.of(new Out.Error(error(
                "server_error",
                "stream_interrupted",
                "the stream of job " + jobId
                        + " from " + c.getProvider() + "/" + c.getModel() + " was interrupted after content was sent ("
                        + why
                        + "); the job goes on down its chain: its whole answer will be at GET /v1/jobs/" + jobId
                        + " and GET /v1/jobs/" + jobId + "/stream")));
    }

    /** Ends the stream when the shown call never finished in the records (its END or ABORT is missing). */
    List<Out> interruptedWithoutEnd() {
        done = true;
        return List.of(new Out.Error(error(
                "server_error",
                "stream_interrupted",
                "the stream of job " + jobId + " ended without its last chunk; the whole answer is at GET /v1/jobs/"
                        + jobId)));
    }

    String error(String type, String code, String message) {
        ObjectNode root = json.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", type);
        e.putNull("param");
        e.put("code", code);
        e.put("job_id", jobId);
        return root.toString();
    }

    static boolean isUsageChunk(JsonNode chunk) {
        return chunk.path("choices").isEmpty() && chunk.has("usage");
    }
}
