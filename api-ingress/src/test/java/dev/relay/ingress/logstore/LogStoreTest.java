package dev.relay.ingress.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.testkit.logstore.SyntheticLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log store's contract on SQLite, plus what only a file shows: no content on disk when content logging is off. */
class LogStoreTest extends LogStoreContract {

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @Override
    LogDatabase open(String name) throws Exception {
        return LogDatabase.sqlite(dir.resolve(name + ".db"));
    }

    @Test
    void shouldKeepNoContentWhenContentLoggingIsOff() throws Exception {
        SyntheticLog.Records r = SyntheticLog.generate(50, START, 4);
        try (LogDatabase db = open("c")) {
            load(new LogWriter(db, false), r, false, 0);
            LogQueries q = new LogQueries(db, json);
            JsonNode job = q.job("job-7").orElseThrow();
            assertThat(job.get("prompt").isNull()).isTrue();
            assertThat(job.get("request_json").isNull()).isTrue();
            assertThat(job.get("response_json").isNull()).isTrue();
            assertThat(Files.readAllBytes(dir.resolve("c.db"))).asString().doesNotContain("about kafka");
        }
    }

    @Test
    void shouldReplaceTheTriggerKeptIndexOfAnOlderStore() throws Exception {
        Path file = dir.resolve("old.db");
        LogDatabase.sqlite(file).close();
        // the index as older stores kept it: external content, by triggers
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE prompt_fts");
            s.execute("CREATE VIRTUAL TABLE prompt_fts USING fts5(prompt, content='jobs', content_rowid='rowid')");
            s.execute("CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs WHEN new.prompt IS NOT NULL BEGIN "
                    + "INSERT INTO prompt_fts(rowid, prompt) VALUES (new.rowid, new.prompt); END");
            s.execute("INSERT INTO jobs (job_id, submitted_at, prompt, status) "
                    + "VALUES ('job-old', 1, 'an old question about kafka', 'SUCCEEDED')");
        }
        try (LogDatabase db = LogDatabase.sqlite(file)) {
            LogQueries q = new LogQueries(db, json);
            JobQuery kafka = new JobQuery(null, null, null, null, null, null, null, null, null, null, "kafka", null, 5);
            assertThat(q.jobs(kafka).findValuesAsText("job_id")).containsExactly("job-old");
            load(new LogWriter(db, true), SyntheticLog.generate(14, START, 6), false, 0);
            assertThat(q.count(kafka)).isEqualTo(3);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }
}
