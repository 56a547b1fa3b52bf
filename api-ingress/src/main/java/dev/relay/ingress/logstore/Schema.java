package dev.relay.ingress.logstore;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** The log store's tables, in SQL that SQLite and PostgreSQL both accept. Created if missing. */
final class Schema {

    private Schema() {}

    static final List<String> TABLES = List.of(
            """
            CREATE TABLE IF NOT EXISTS jobs (
              job_id TEXT PRIMARY KEY,
              submitted_at BIGINT,
              tenant TEXT, batch_id TEXT, custom_id TEXT, origin TEXT,
              chain TEXT, metadata TEXT, prompt TEXT, request_json TEXT, callback_url TEXT,
              job_generation INTEGER,
              status TEXT NOT NULL,
              result_status TEXT, result_generation INTEGER,
              provider TEXT, model TEXT, fallback_index INTEGER, failure_class TEXT,
              error_json TEXT, response_json TEXT,
              completed_at BIGINT, latency_ms BIGINT, attempt_count INTEGER,
              failed_generation INTEGER, terminal_reason TEXT, failed_at BIGINT)""",
            """
            CREATE TABLE IF NOT EXISTS attempts (
              job_id TEXT NOT NULL, generation INTEGER NOT NULL, hop INTEGER NOT NULL, attempt INTEGER NOT NULL,
              provider TEXT, model TEXT, key_name TEXT,
              started_at BIGINT, ended_at BIGINT, latency_ms BIGINT,
              outcome TEXT, http_status INTEGER, error_type TEXT, error_code TEXT, error_message TEXT,
              prompt_tokens INTEGER, completion_tokens INTEGER, decision TEXT,
              tenant TEXT, batch_id TEXT,
              PRIMARY KEY (job_id, generation, hop, attempt))""",
            """
            CREATE TABLE IF NOT EXISTS webhooks (
              job_id TEXT PRIMARY KEY, webhook_id TEXT, url TEXT, state TEXT, updated_at BIGINT, attempts_json TEXT)""",
            """
            CREATE TABLE IF NOT EXISTS deadletters (
              topic TEXT NOT NULL, part INTEGER NOT NULL, record_offset BIGINT NOT NULL,
              record_key TEXT, at BIGINT, headers_json TEXT, size_bytes INTEGER,
              PRIMARY KEY (topic, part, record_offset))""",
            """
            CREATE TABLE IF NOT EXISTS provider_status (
              provider TEXT PRIMARY KEY, status_json TEXT, updated_at BIGINT)""",
            """
            CREATE TABLE IF NOT EXISTS offsets (
              topic TEXT NOT NULL, part INTEGER NOT NULL, next_offset BIGINT NOT NULL,
              PRIMARY KEY (topic, part))""",
            "CREATE INDEX IF NOT EXISTS jobs_time ON jobs (submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_provider ON jobs (provider, submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_model ON jobs (model, submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_class ON jobs (failure_class, submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_fallback ON jobs (fallback_index, submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch_id, submitted_at)",
            "CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, submitted_at)",
            "CREATE INDEX IF NOT EXISTS attempts_outcome ON attempts (outcome, job_id)",
            "CREATE INDEX IF NOT EXISTS attempts_time ON attempts (started_at)");

    /**
     * Full-text search of the prompt on PostgreSQL: text search over an expression index. SQLite's is a contentless
     * FTS5 table that the writer keeps ({@link PromptIndex}). A LIKE '%word%' would read every row.
     */
    static final List<String> POSTGRES_FTS = List.of(
            "CREATE INDEX IF NOT EXISTS jobs_prompt_fts ON jobs USING GIN (to_tsvector('simple', COALESCE(prompt, '')))");

    static void create(Connection c, boolean sqlite) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String ddl : TABLES) {
                s.execute(ddl);
            }
            if (sqlite) {
                PromptIndex.create(s);
            } else {
                for (String ddl : POSTGRES_FTS) {
                    s.execute(ddl);
                }
            }
        }
        c.commit();
    }
}
