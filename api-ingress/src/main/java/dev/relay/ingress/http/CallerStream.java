package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.kafka.ChunkRecord;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.StreamChunkKind;
import java.io.IOException;
import java.util.List;

/**
 * The failover contract's caller side: what one caller's stream shows of a job's chunk records. The first call whose
 * chunks arrive is the one shown (the processor writes a call's chunks only from its first token on, or, buffered,
 * only after its clean end); END of that call ends the stream with {@code [DONE]}; ABORT of it, or chunks of any
 * other call (a call issued again after a processor crash), end it with an in-band {@code stream_interrupted} error
 * and no {@code [DONE]}: a cut answer is never passed off as complete. Deterministic in the records, so a resume that
 * reads the same records from an offset shows exactly what follows it.
 */
final class CallerStream {

    /** What to write to the caller. */
    sealed interface Out {
        /** {@code id} is the chunk's offset (the SSE event id a resume names in Last-Event-ID). */
        record Event(long id, String json) implements Out {}

        record Done() implements Out {}

        record Error(String json) implements Out {}
    }

    private final String jobId;
    private final boolean includeUsage;
    private final long maxBytes;
    private final ObjectMapper json;
    private String shownCall;
    private boolean done;
    private long bytes;

    CallerStream(String jobId, boolean includeUsage, long maxBytes, ObjectMapper json) {
        this.jobId = jobId;
        this.includeUsage = includeUsage;
        this.maxBytes = maxBytes;
        this.json = json;
    }

    boolean done() {
        return done;
    }

    boolean shown() {
        return shownCall != null;
    }

    /** A record the caller has already seen (up to its Last-Event-ID): it only sets which call is shown. */
    void seen(ChunkRecord r) {
        if (shownCall == null) {
            shownCall = r.chunk().getCallId();
        }
        if (r.chunk().getKind() != StreamChunkKind.DELTA) {
            done = true;
        }
    }

    List<Out> on(ChunkRecord r) {
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
            return List.of(new Out.Error(error(
                    "server_error",
                    "stream_too_long",
                    "the stream of job " + jobId
                            + " passed the ingress's max_stream_bytes (" + maxBytes
                            + "); the whole answer is at GET /v1/jobs/"
                            + jobId)));
        }
        return List.of(new Out.Event(r.offset(), text));
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
