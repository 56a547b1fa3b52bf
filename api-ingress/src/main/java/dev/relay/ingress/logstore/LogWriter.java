package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@link LogBatch} into the tables in one transaction, with the offsets it came from. Every write is an
 * idempotent upsert whose result does not depend on the order in which the topics are read (the newest generation
 * wins, the first submission time wins), so a store rebuilt from the topics equals the one that followed them live.
 * Request and response content is written only when {@code storeContent}; key values are never in the records.
 */
public final class LogWriter {

    static final int PROMPT_CHARS = 16_384;

    private static final String UPSERT_JOB =
            """
            INSERT INTO jobs (job_id, submitted_at, tenant, batch_id, custom_id, origin, chain, metadata, prompt,
              request_json, callback_url, job_generation, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING')
            ON CONFLICT (job_id) DO UPDATE SET
              submitted_at = CASE WHEN jobs.submitted_at IS NULL OR excluded.submitted_at < jobs.submitted_at
                THEN excluded.submitted_at ELSE jobs.submitted_at END,
              tenant = COALESCE(jobs.tenant, excluded.tenant),
              batch_id = COALESCE(jobs.batch_id, excluded.batch_id),
              custom_id = COALESCE(jobs.custom_id, excluded.custom_id),
              origin = CASE WHEN %1$s THEN excluded.origin ELSE jobs.origin END,
              chain = CASE WHEN %1$s THEN excluded.chain ELSE jobs.chain END,
              metadata = CASE WHEN %1$s THEN excluded.metadata ELSE jobs.metadata END,
              prompt = CASE WHEN %1$s THEN excluded.prompt ELSE jobs.prompt END,
              request_json = CASE WHEN %1$s THEN excluded.request_json ELSE jobs.request_json END,
              callback_url = CASE WHEN %1$s THEN excluded.callback_url ELSE jobs.callback_url END,
              status = CASE WHEN jobs.result_generation IS NOT NULL
                  AND jobs.result_generation >= excluded.job_generation
                  AND jobs.result_generation >= COALESCE(jobs.job_generation, -1)
                THEN jobs.result_status ELSE 'PENDING' END,
              job_generation = CASE WHEN %1$s THEN excluded.job_generation ELSE jobs.job_generation END
            """.formatted("excluded.job_generation >= COALESCE(jobs.job_generation, -1)");

    private static final String NEWER_RESULT = "excluded.result_generation >= COALESCE(jobs.result_generation, -1)";

    private static final String UPSERT_RESULT = """
            INSERT INTO jobs (job_id, submitted_at, tenant, batch_id, custom_id, metadata, callback_url, status,
              result_status, result_generation, provider, model, fallback_index, failure_class, error_json,
              response_json, completed_at, latency_ms, attempt_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (job_id) DO UPDATE SET
              submitted_at = CASE WHEN jobs.submitted_at IS NULL OR excluded.submitted_at < jobs.submitted_at
                THEN excluded.submitted_at ELSE jobs.submitted_at END,
              tenant = COALESCE(jobs.tenant, excluded.tenant),
              batch_id = COALESCE(jobs.batch_id, excluded.batch_id),
              custom_id = COALESCE(jobs.custom_id, excluded.custom_id),
              metadata = COALESCE(jobs.metadata, excluded.metadata),
              callback_url = COALESCE(jobs.callback_url, excluded.callback_url),
              status = CASE WHEN %1$s THEN
                  CASE WHEN excluded.result_generation >= COALESCE(jobs.job_generation, -1)
                    THEN excluded.result_status ELSE 'PENDING' END
                ELSE jobs.status END,
              provider = CASE WHEN %1$s THEN excluded.provider ELSE jobs.provider END,
              model = CASE WHEN %1$s THEN excluded.model ELSE jobs.model END,
              fallback_index = CASE WHEN %1$s THEN excluded.fallback_index ELSE jobs.fallback_index END,
              failure_class = CASE WHEN %1$s THEN excluded.failure_class ELSE jobs.failure_class END,
              error_json = CASE WHEN %1$s THEN excluded.error_json ELSE jobs.error_json END,
              response_json = CASE WHEN %1$s THEN excluded.response_json ELSE jobs.response_json END,
              completed_at = CASE WHEN %1$s THEN excluded.completed_at ELSE jobs.completed_at END,
              latency_ms = CASE WHEN %1$s THEN excluded.latency_ms ELSE jobs.latency_ms END,
              attempt_count = CASE WHEN %1$s THEN excluded.attempt_count ELSE jobs.attempt_count END,
              result_status = CASE WHEN %1$s THEN excluded.result_status ELSE jobs.result_status END,
              result_generation = CASE WHEN %1$s THEN excluded.result_generation ELSE jobs.result_generation END
            """.formatted(NEWER_RESULT);

    private static final String UPSERT_FAILED = """
            UPDATE jobs SET failed_generation = ?, terminal_reason = ?, failed_at = ?
            WHERE job_id = ? AND (failed_generation IS NULL OR failed_generation <= ?)""";

    private static final String INSERT_ATTEMPT = """
            INSERT INTO attempts (job_id, generation, hop, attempt, provider, model, key_name, started_at, ended_at,
              latency_ms, outcome, http_status, error_type, error_code, error_message, prompt_tokens,
              completion_tokens, decision, tenant, batch_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (job_id, generation, hop, attempt) DO NOTHING""";

    private static final String UPSERT_WEBHOOK = """
            INSERT INTO webhooks (job_id, webhook_id, url, state, updated_at, attempts_json) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (job_id) DO UPDATE SET webhook_id = excluded.webhook_id, url = excluded.url,
              state = excluded.state, updated_at = excluded.updated_at, attempts_json = excluded.attempts_json
            WHERE excluded.updated_at >= webhooks.updated_at""";

    private static final String INSERT_DEADLETTER = """
            INSERT INTO deadletters (topic, part, record_offset, record_key, at, headers_json, size_bytes)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, part, record_offset) DO NOTHING""";

    private static final String UPSERT_STATUS = """
            INSERT INTO provider_status (provider, status_json, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (provider) DO UPDATE SET status_json = excluded.status_json, updated_at = excluded.updated_at""";

    private static final String UPSERT_OFFSET = """
            INSERT INTO offsets (topic, part, next_offset) VALUES (?, ?, ?)
            ON CONFLICT (topic, part) DO UPDATE SET next_offset = excluded.next_offset""";

    private final LogDatabase db;
    private final boolean storeContent;
    private final ObjectMapper json = new ObjectMapper();

    public LogWriter(LogDatabase db, boolean storeContent) {
        this.db = db;
        this.storeContent = storeContent;
    }

    /** Writes the batch and its offsets in one transaction; rolls back and rethrows on failure. */
    public void apply(LogBatch b) throws SQLException {
        Connection c = db.writer();
        try {
            // jobs before the results and failures that update them; every statement is order-independent anyway
            try (PreparedStatement s = c.prepareStatement(UPSERT_JOB)) {
                for (Job j : b.jobs) {
                    bindJob(s, j);
                    s.addBatch();
                }
                s.executeBatch();
            }
            try (PreparedStatement s = c.prepareStatement(UPSERT_RESULT)) {
                for (JobResult r : b.results) {
                    bindResult(s, r);
                    s.addBatch();
                }
                s.executeBatch();
            }
            if (!b.failed.isEmpty()) {
                try (PreparedStatement js = c.prepareStatement(UPSERT_JOB)) {
                    for (FailedJob f : b.failed) {
                        bindJob(js, f.getJob());
                        js.addBatch();
                    }
                    js.executeBatch();
                }
                try (PreparedStatement s = c.prepareStatement(UPSERT_FAILED)) {
                    for (FailedJob f : b.failed) {
                        int gen = f.getJob().getReplayGeneration();
                        s.setInt(1, gen);
                        s.setString(2, f.getTerminalReason());
                        s.setLong(3, f.getFailedAt().toEpochMilli());
                        s.setString(4, f.getJob().getJobId());
                        s.setInt(5, gen);
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            try (PreparedStatement s = c.prepareStatement(INSERT_ATTEMPT)) {
                for (AttemptRecord a : b.attempts) {
                    bindAttempt(s, a);
                    s.addBatch();
                }
                s.executeBatch();
            }
            if (!b.webhooks.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement(UPSERT_WEBHOOK)) {
                    for (LogBatch.Keyed w : b.webhooks) {
                        JsonNode n = parse(w.json());
                        s.setString(1, w.key());
                        s.setString(2, n.path("webhook_id").asText(null));
                        s.setString(3, n.path("url").asText(null));
                        s.setString(4, n.path("state").asText(null));
                        s.setLong(5, n.path("updated_at").asLong());
                        s.setString(6, n.path("attempts").toString());
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            if (!b.deadLetters.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement(INSERT_DEADLETTER)) {
                    for (LogBatch.DeadLetter d : b.deadLetters) {
                        s.setString(1, d.topic());
                        s.setInt(2, d.partition());
                        s.setLong(3, d.offset());
                        s.setString(4, d.key());
                        s.setLong(5, d.at());
                        s.setString(6, d.headersJson());
                        s.setInt(7, d.sizeBytes());
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            if (!b.statuses.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement(UPSERT_STATUS)) {
                    for (LogBatch.Keyed st : b.statuses) {
                        s.setString(1, st.key());
                        s.setString(2, st.json());
                        s.setLong(3, parse(st.json()).path("at").asLong(System.currentTimeMillis()));
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            try (PreparedStatement s = c.prepareStatement(UPSERT_OFFSET)) {
                for (var t : b.offsets.entrySet()) {
                    for (var p : t.getValue().entrySet()) {
                        s.setString(1, t.getKey());
                        s.setInt(2, p.getKey());
                        s.setLong(3, p.getValue());
                        s.addBatch();
                    }
                }
                s.executeBatch();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    /**
     * Forgets what the topics no longer hold (null cutoff: that topic keeps everything): attempts started before the
     * attempts topic's retention, dead letters before the dead letter topic's, and the request content of jobs before
     * the jobs topic's. A job's row stays while the compacted results topic keeps its result.
     */
    public int prune(Long attemptsBefore, Long contentBefore, Long deadLettersBefore) throws SQLException {
        Connection c = db.writer();
        int n = 0;
        try {
            n += update(c, "DELETE FROM attempts WHERE started_at < ?", attemptsBefore);
            n += update(
                    c,
                    "UPDATE jobs SET prompt = NULL, request_json = NULL WHERE submitted_at < ? AND prompt IS NOT NULL",
                    contentBefore);
            n += update(c, "DELETE FROM deadletters WHERE at < ?", deadLettersBefore);
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
        return n;
    }

    private static int update(Connection c, String sql, Long cutoff) throws SQLException {
        if (cutoff == null) {
            return 0;
        }
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, cutoff);
            return s.executeUpdate();
        }
    }

    /** The stored next offsets, per topic and partition. */
    public Map<String, Map<Integer, Long>> offsets() throws SQLException {
        Map<String, Map<Integer, Long>> out = new TreeMap<>();
        Connection c = db.writer();
        try (var s = c.createStatement();
                var rs = s.executeQuery("SELECT topic, part, next_offset FROM offsets")) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString(1), t -> new TreeMap<>()).put(rs.getInt(2), rs.getLong(3));
            }
        }
        c.commit();
        return out;
    }

    private void bindJob(PreparedStatement s, Job j) throws SQLException {
        s.setString(1, j.getJobId());
        s.setLong(2, j.getSubmittedAt().toEpochMilli());
        s.setString(3, j.getTenant());
        s.setString(4, j.getBatchId());
        s.setString(5, j.getCustomId());
        s.setString(6, j.getOrigin());
        s.setString(7, chain(j));
        s.setString(8, metadata(j.getMetadata()));
        s.setString(9, storeContent ? prompt(j) : null);
        s.setString(10, storeContent ? request(j) : null);
        s.setString(11, j.getCallbackUrl());
        s.setInt(12, j.getReplayGeneration());
    }

    private void bindResult(PreparedStatement s, JobResult r) throws SQLException {
        String status = r.getStatus().name();
        ErrorInfo e = r.getError();
        s.setString(1, r.getJobId());
        s.setLong(2, r.getSubmittedAt().toEpochMilli());
        s.setString(3, r.getTenant());
        s.setString(4, r.getBatchId());
        s.setString(5, r.getCustomId());
        s.setString(6, metadata(r.getMetadata()));
        s.setString(7, r.getCallbackUrl());
        s.setString(8, status);
        s.setString(9, status);
        s.setInt(10, r.getReplayGeneration());
        s.setString(11, r.getProvider());
        s.setString(12, r.getModel());
        s.setInt(13, r.getHop());
        s.setString(14, e == null ? null : e.getOutcome().name());
        s.setString(15, e == null ? null : errorJson(e));
        s.setString(16, storeContent ? r.getResponseJson() : null);
        s.setLong(17, r.getCompletedAt().toEpochMilli());
        s.setLong(18, r.getTotalLatencyMs());
        s.setInt(19, r.getAttemptCount());
    }

    private static void bindAttempt(PreparedStatement s, AttemptRecord a) throws SQLException {
        s.setString(1, a.getJobId());
        s.setInt(2, a.getReplayGeneration());
        s.setInt(3, a.getHop());
        s.setInt(4, a.getAttempt());
        s.setString(5, a.getProvider());
        s.setString(6, a.getModel());
        s.setString(7, a.getKeyName());
        s.setLong(8, a.getStartedAt().toEpochMilli());
        s.setLong(9, a.getEndedAt().toEpochMilli());
        s.setLong(10, a.getLatencyMs());
        s.setString(11, a.getOutcome().name());
        setInt(s, 12, a.getHttpStatus());
        s.setString(13, a.getErrorType());
        s.setString(14, a.getErrorCode());
        s.setString(15, a.getErrorMessage());
        setInt(s, 16, a.getPromptTokens());
        setInt(s, 17, a.getCompletionTokens());
        s.setString(18, a.getDecision().name());
        s.setString(19, a.getTenant());
        s.setString(20, a.getBatchId());
    }

    private static void setInt(PreparedStatement s, int i, Integer v) throws SQLException {
        if (v == null) {
            s.setNull(i, Types.INTEGER);
        } else {
            s.setInt(i, v);
        }
    }

    private String chain(Job j) {
        ArrayNode a = json.createArrayNode();
        for (Target t : j.getChain()) {
            a.add(t.getProvider() + "/" + t.getModel());
        }
        return a.toString();
    }

    /** Sorted keys, compact: a metadata filter can then match {@code "key":"value"} as text. */
    String metadata(Map<String, String> m) {
        if (m == null || m.isEmpty()) {
            return null;
        }
        ObjectNode n = json.createObjectNode();
        new TreeMap<>(m).forEach(n::put);
        return n.toString();
    }

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

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }
}
