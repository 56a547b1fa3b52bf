package dev.relay.ingress.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
