package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.List;

/**
 * The full-text index of the prompts on SQLite: a contentless FTS5 table whose rowid is the job row's rowid, kept by
 * the writer once per batch in the batch's transaction (a trigger per row halved the ingest rate). Rows the batch
 * created are indexed by one {@code INSERT ... SELECT} in rowid order; rows that existed before and got a job record
 * (a replay's new generation, or a job that arrived after its result) are re-indexed by one
 * {@code INSERT OR REPLACE ... SELECT} over the batch's job ids. PostgreSQL needs none of this: its text search runs on
 * an expression index.
 */
final class PromptIndex {

    /** {@code contentless_delete}: rows can be replaced and deleted by rowid without their old text. */
    static final String CREATE =
            "CREATE VIRTUAL TABLE IF NOT EXISTS prompt_fts USING fts5(prompt, content='', contentless_delete=1)";

    /** The index of every stored prompt, for a table created or re-created over existing rows. */
    static final String FILL = "INSERT INTO prompt_fts(rowid, prompt) SELECT rowid, prompt FROM jobs "
            + "WHERE prompt IS NOT NULL ORDER BY rowid";

    private static final String REINDEX = """
            INSERT OR REPLACE INTO prompt_fts(rowid, prompt) SELECT rowid, prompt FROM jobs
            WHERE rowid <= ? AND prompt IS NOT NULL AND job_id IN (SELECT value FROM json_each(?)) ORDER BY rowid""";

    private static final String INDEX_NEW =
            "INSERT INTO prompt_fts(rowid, prompt) SELECT rowid, prompt FROM jobs WHERE rowid > ? AND prompt IS NOT NULL "
                    + "ORDER BY rowid";

    private static final String FORGET = "DELETE FROM prompt_fts WHERE rowid IN "
            + "(SELECT rowid FROM jobs WHERE submitted_at < ? AND prompt IS NOT NULL)";

    private final ObjectMapper json = new ObjectMapper();

    /** The last rowid of the jobs table; call before the batch's writes. */
    long lastRow(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(rowid), 0) FROM jobs")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Indexes the prompts the batch wrote: {@code jobIds} are the jobs it had a job record for, {@code lastRow} what
     * {@link #lastRow} said before its writes. Old rows first: FTS5 writes a segment whenever rowids stop ascending.
     */
    void update(Connection c, long lastRow, Collection<String> jobIds) throws SQLException {
        if (!jobIds.isEmpty()) {
            ArrayNode ids = json.createArrayNode();
            jobIds.forEach(ids::add);
            try (PreparedStatement s = c.prepareStatement(REINDEX)) {
                s.setLong(1, lastRow);
                s.setString(2, ids.toString());
                s.executeUpdate();
            }
        }
        try (PreparedStatement s = c.prepareStatement(INDEX_NEW)) {
            s.setLong(1, lastRow);
            s.executeUpdate();
        }
    }

    /** Removes from the index the prompts of jobs submitted before {@code cutoff}; call before nulling them. */
    static void forget(Connection c, long cutoff) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(FORGET)) {
            s.setLong(1, cutoff);
            s.executeUpdate();
        }
    }

    /**
     * Creates the index, or replaces the trigger-kept external-content index of an older store and fills the new one
     * from the stored prompts.
     */
    static void create(Statement s) throws SQLException {
        boolean triggers;
        try (ResultSet rs = s.executeQuery(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'jobs_fts_%'")) {
            triggers = rs.next() && rs.getInt(1) > 0;
        }
        if (triggers) {
            for (String t : List.of("jobs_fts_insert", "jobs_fts_delete", "jobs_fts_update")) {
                s.execute("DROP TRIGGER IF EXISTS " + t);
            }
            s.execute("DROP TABLE IF EXISTS prompt_fts");
        }
        s.execute(CREATE);
        if (triggers) {
            s.execute(FILL);
        }
    }
}
