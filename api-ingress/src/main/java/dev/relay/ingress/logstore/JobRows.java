package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The writes to the jobs table: a job's request, its result, its failure. One row per job, which the three topics
 * fill in any order: the first submission time wins, a job's request and its result each keep their newest
 * generation, and the status is the result's when that result is of the job's newest generation (else PENDING).
 * Request and response content is written only when {@code storeContent}.
 */
final class JobRows {

    static final int PROMPT_CHARS = 16_384;

    private static final String NEWER_JOB = "excluded.job_generation >= COALESCE(jobs.job_generation, -1)";
    private static final String NEWER_RESULT = "excluded.result_generation >= COALESCE(jobs.result_generation, -1)";

    /** A job's request; a new row is PENDING, an existing one keeps its result's status if that is as new. */
    static final String UPSERT_JOB = Upsert.into("jobs", "job_id")
            .earliest("submitted_at")
            .first("tenant", "batch_id", "custom_id")
            .when(NEWER_JOB, "origin", "chain", "metadata", "prompt", "request_json", "callback_url", "job_generation")
            .column("status", "'PENDING'", """
                    CASE WHEN jobs.result_generation IS NOT NULL AND jobs.result_generation >= excluded.job_generation
                      AND jobs.result_generation >= COALESCE(jobs.job_generation, -1)
                    THEN jobs.result_status ELSE 'PENDING' END""")
            .sql();

    /** A job's result; it sets the status unless the job has been replayed since (then PENDING). */
    static final String UPSERT_RESULT = Upsert.into("jobs", "job_id")
            .earliest("submitted_at")
            .first("tenant", "batch_id", "custom_id", "metadata", "callback_url")
            .set("status", """
                    CASE WHEN %s THEN
                      CASE WHEN excluded.result_generation >= COALESCE(jobs.job_generation, -1)
                      THEN excluded.result_status ELSE 'PENDING' END
                    ELSE jobs.status END""".formatted(NEWER_RESULT))
            .when(
                    NEWER_RESULT,
                    "result_status",
                    "result_generation",
                    "provider",
                    "model",
                    "fallback_index",
                    "failure_class",
                    "error_json",
                    "response_json",
                    "completed_at",
                    "latency_ms",
                    "attempt_count")
            .sql();

    /** Why a job failed everywhere (its row comes from the job inside the failure, upserted first). */
    static final String MARK_FAILED = """
            UPDATE jobs SET failed_generation = ?, terminal_reason = ?, failed_at = ?
            WHERE job_id = ? AND (failed_generation IS NULL OR failed_generation <= ?)""";

    private final boolean storeContent;
    private final ObjectMapper json = new ObjectMapper();

    JobRows(boolean storeContent) {
        this.storeContent = storeContent;
    }

    void bindJob(Params p, Job j) throws SQLException {
        p.text(j.getJobId())
                .bigint(j.getSubmittedAt().toEpochMilli())
                .text(j.getTenant())
                .text(j.getBatchId())
                .text(j.getCustomId())
                .text(j.getOrigin())
                .text(chain(j))
                .text(metadata(j.getMetadata()))
                .text(storeContent ? prompt(j) : null)
                .text(storeContent ? request(j) : null)
                .text(j.getCallbackUrl())
                .integer(j.getReplayGeneration());
    }

    void bindResult(Params p, JobResult r) throws SQLException {
        String status = r.getStatus().name();
        ErrorInfo e = r.getError();
        p.text(r.getJobId())
                .bigint(r.getSubmittedAt().toEpochMilli())
                .text(r.getTenant())
                .text(r.getBatchId())
                .text(r.getCustomId())
                .text(metadata(r.getMetadata()))
                .text(r.getCallbackUrl())
                .text(status)
                .text(status)
                .integer(r.getReplayGeneration())
                .text(r.getProvider())
                .text(r.getModel())
                .integer(r.getHop())
                .text(e == null ? null : e.getOutcome().name())
                .text(e == null ? null : errorJson(e))
                .text(storeContent ? r.getResponseJson() : null)
                .bigint(r.getCompletedAt().toEpochMilli())
                .bigint(r.getTotalLatencyMs())
                .integer(r.getAttemptCount());
    }

    static void bindFailed(Params p, FailedJob f) throws SQLException {
        int generation = f.getJob().getReplayGeneration();
        p.integer(generation)
                .text(f.getTerminalReason())
                .bigint(f.getFailedAt().toEpochMilli())
                .text(f.getJob().getJobId())
                .integer(generation);
    }

    private String chain(Job j) {
        ArrayNode a = json.createArrayNode();
        for (Target t : j.getChain()) {
            a.add(t.getProvider() + "/" + t.getModel());
        }
        return a.toString();
    }

    /** Sorted keys, compact: a metadata filter can then match {@code "key":"value"} as text. */
    private String metadata(Map<String, String> m) {
        if (m == null || m.isEmpty()) {
            return null;
        }
        ObjectNode n = json.createObjectNode();
        new TreeMap<>(m).forEach(n::put);
        return n.toString();
    }

    /** The text parts of the messages, one per line, at most {@link #PROMPT_CHARS}: what the full-text search reads. */
    private static String prompt(Job j) {
        StringBuilder b = new StringBuilder();
        for (Message m : j.getRequest().getMessages()) {
            for (ContentPart p : m.getContent()) {
                if (p.getText() != null) {
                    if (!b.isEmpty()) {
                        b.append('\n');
                    }
                    b.append(p.getText());
                }
                if (b.length() > PROMPT_CHARS) {
                    return b.substring(0, PROMPT_CHARS);
                }
            }
        }
        return b.toString();
    }

    private static String request(Job j) {
        Target primary = j.getChain().isEmpty() ? null : j.getChain().get(0);
        String model = primary == null ? "" : primary.getProvider() + "/" + primary.getModel();
        return ChatRequestCodec.toOpenAi(j.getRequest(), model).toString();
    }

    private String errorJson(ErrorInfo e) {
        ObjectNode n = json.createObjectNode();
        n.put("status", e.getHttpStatus());
        n.put("type", e.getType());
        n.put("code", e.getCode());
        n.put("message", e.getMessage());
        n.put("class", e.getOutcome().name());
        return n.toString();
    }
}
