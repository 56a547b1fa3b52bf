package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Job;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a {@link LogBatch} into the tables in one transaction, with the offsets it came from: one batched statement
 * per table (prepared once, reused for every batch), and on SQLite the prompts' full-text index once per batch. Every
 * write is an idempotent upsert whose result does not depend on the order in which the topics are read (see
 * {@link JobRows}), so a store rebuilt from the topics equals the one that followed them live. Key values are never in
 * the records, so never written.
 */
public final class LogWriter {

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

    /** Binds one row's values to a statement. */
    private interface Binder<T> {
        void bind(Params p, T row) throws SQLException;
    }

    private record Offset(String topic, int partition, long next) {}

    private final LogDatabase db;
    private final boolean storeContent;
    private final JobRows jobRows;
    private final PromptIndex prompts;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final ObjectMapper json = new ObjectMapper();

    public LogWriter(LogDatabase db, boolean storeContent) {
        this.db = db;
        this.storeContent = storeContent;
        this.jobRows = new JobRows(storeContent);
        this.prompts = db.isSqlite() ? new PromptIndex() : null;
    }

    /** Writes the batch and its offsets in one transaction; rolls back and rethrows on failure. */
    public void apply(LogBatch b) throws SQLException {
        Connection c = db.writer();
        try {
            boolean indexPrompts = prompts != null && storeContent;
            long lastRow = indexPrompts ? prompts.lastRow(c) : 0;
            List<Job> jobs = jobsOf(b);
            write(JobRows.UPSERT_JOB, jobs, jobRows::bindJob);
            write(JobRows.UPSERT_RESULT, b.results, jobRows::bindResult);
            write(JobRows.MARK_FAILED, b.failed, JobRows::bindFailed);
            if (indexPrompts) {
                Set<String> ids = new LinkedHashSet<>();
                jobs.forEach(j -> ids.add(j.getJobId()));
                prompts.update(c, lastRow, ids);
            }
            write(INSERT_ATTEMPT, b.attempts, LogWriter::bindAttempt);
            write(UPSERT_WEBHOOK, b.webhooks, this::bindWebhook);
            write(INSERT_DEADLETTER, b.deadLetters, LogWriter::bindDeadLetter);
            write(UPSERT_STATUS, b.statuses, this::bindStatus);
            write(
                    UPSERT_OFFSET,
                    offsets(b),
                    (p, o) -> p.text(o.topic()).integer(o.partition()).bigint(o.next()));
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }

    /** The batch's jobs and the jobs inside its failures (a failure may be the first record of its job read). */
    private static List<Job> jobsOf(LogBatch b) {
        List<Job> jobs = new ArrayList<>(b.jobs.size() + b.failed.size());
        jobs.addAll(b.jobs);
        b.failed.forEach(f -> jobs.add(f.getJob()));
        return jobs;
    }

    private static List<Offset> offsets(LogBatch b) {
        List<Offset> out = new ArrayList<>();
        b.offsets.forEach((topic, parts) -> parts.forEach((p, next) -> out.add(new Offset(topic, p, next))));
        return out;
    }

    /** Runs {@code sql} once per row as one JDBC batch, on a statement prepared once. */
    private <T> void write(String sql, Collection<T> rows, Binder<T> binder) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        PreparedStatement s = statements.get(sql);
        if (s == null) {
            s = db.writer().prepareStatement(sql);
            statements.put(sql, s);
        }
        for (T row : rows) {
            binder.bind(new Params(s), row);
            s.addBatch();
        }
        s.executeBatch();
    }

    private static void bindAttempt(Params p, AttemptRecord a) throws SQLException {
        p.text(a.getJobId())
                .integer(a.getReplayGeneration())
                .integer(a.getHop())
                .integer(a.getAttempt())
                .text(a.getProvider())
                .text(a.getModel())
                .text(a.getKeyName())
                .bigint(a.getStartedAt().toEpochMilli())
                .bigint(a.getEndedAt().toEpochMilli())
                .bigint(a.getLatencyMs())
                .text(a.getOutcome().name())
                .integer(a.getHttpStatus())
                .text(a.getErrorType())
                .text(a.getErrorCode())
                .text(a.getErrorMessage())
                .integer(a.getPromptTokens())
                .integer(a.getCompletionTokens())
                .text(a.getDecision().name())
                .text(a.getTenant())
                .text(a.getBatchId());
    }

    private void bindWebhook(Params p, LogBatch.Keyed w) throws SQLException {
        JsonNode n = parse(w.json());
        p.text(w.key())
                .text(n.path("webhook_id").asText(null))
                .text(n.path("url").asText(null))
                .text(n.path("state").asText(null))
                .bigint(n.path("updated_at").asLong())
                .text(n.path("attempts").toString());
    }

    private static void bindDeadLetter(Params p, LogBatch.DeadLetter d) throws SQLException {
        p.text(d.topic())
                .integer(d.partition())
                .bigint(d.offset())
                .text(d.key())
                .bigint(d.at())
                .text(d.headersJson())
                .integer(d.sizeBytes());
    }

    private void bindStatus(Params p, LogBatch.Keyed st) throws SQLException {
        p.text(st.key()).text(st.json()).bigint(parse(st.json()).path("at").asLong(System.currentTimeMillis()));
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
            if (prompts != null && contentBefore != null) {
                PromptIndex.forget(c, contentBefore);
            }
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

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }
}
