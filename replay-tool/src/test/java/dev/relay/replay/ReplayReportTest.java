package dev.relay.replay;

import static dev.relay.replay.TestRecords.chain;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayReportTest {

    private static final Instant T = Instant.parse("2026-11-24T20:00:00Z");

    private static Candidate failed(String id, OutcomeClass cls, String... targets) {
        Job job = TestRecords.job(id, 0, "acme", "b1", chain(targets), T);
        return Candidate.fromFailed(TestRecords.failed(job, cls, T), "relay.failed", 2, 7, T.toEpochMilli());
    }

    @Test
    void shouldListSelectedReplayedAndSkippedWithReasons(@TempDir Path dir) throws Exception {
        Candidate a = failed("a", OutcomeClass.TRANSIENT, "openai/gpt-4o");
        Candidate b = failed("b", OutcomeClass.RATE_LIMITED, "openai/gpt-4o");
        Candidate c = failed("c", OutcomeClass.TRANSIENT, "anthropic/claude-haiku-4-5");
        Plan plan = new Plan(
                List.of(new Plan.Replay(a, 1, a.chain()), new Plan.Replay(b, 1, b.chain())),
                List.of(new Plan.Skip(c, Plan.Reason.SUCCEEDED, "generation 0 succeeded")));
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("since", "2h");
        ScanStats scan = new ScanStats("relay.failed", 4, 10, 3, 3, 3, 0, 12);
        Path file = dir.resolve("sub/report.json");
        new ReplayReport(
                        "run1",
                        false,
                        T,
                        T.plusSeconds(2),
                        options,
                        List.of(scan),
                        List.of(a, b, c),
                        plan,
                        Map.of("a", 1),
                        "REPLAYED")
                .write(file);

        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("run_id").asText()).isEqualTo("run1");
        assertThat(json.get("mode").asText()).isEqualTo("execute");
        assertThat(json.get("options").get("since").asText()).isEqualTo("2h");
        assertThat(json.get("scans").get(0).get("skipped_before_window").asLong())
                .isEqualTo(10);
        assertThat(json.get("scans").get(0).get("records_read").asLong()).isEqualTo(3);
        assertThat(json.get("counts").get("selected").asInt()).isEqualTo(3);
        assertThat(json.get("counts").get("replayed").asInt()).isEqualTo(1);
        assertThat(json.get("counts").get("skipped").asInt()).isEqualTo(1);
        assertThat(json.get("by_error_class").get("TRANSIENT").asInt()).isEqualTo(2);
        assertThat(json.get("by_provider").get("openai").asInt()).isEqualTo(2);
        assertThat(json.get("selected")).hasSize(3);
        assertThat(json.get("selected").get(0).get("location").asText()).isEqualTo("relay.failed-2@7");
        // only what was committed counts as replayed in an execute report
        assertThat(json.get("replayed")).hasSize(1);
        assertThat(json.get("replayed").get(0).get("job_id").asText()).isEqualTo("a");
        assertThat(json.get("replayed").get(0).get("to_generation").asInt()).isEqualTo(1);
        assertThat(json.get("replayed").get(0).get("chain").asText()).isEqualTo("openai/gpt-4o");
        assertThat(json.get("skipped").get(0).get("reason").asText()).isEqualTo("SUCCEEDED");
        assertThat(json.get("skipped").get(0).get("detail").asText()).isEqualTo("generation 0 succeeded");
    }

    @Test
    void shouldListWhatWouldBeReplayedInADryRun() {
        Candidate a = failed("a", OutcomeClass.TRANSIENT, "openai/gpt-4o");
        Plan plan = new Plan(List.of(new Plan.Replay(a, 1, chain("gemini/gemini-2.5-flash"))), List.of());
        JsonNode json = new ReplayReport("run2", true, T, T, Map.of(), List.of(), List.of(a), plan, Map.of(), "DRY_RUN")
                .toJson();
        assertThat(json.get("mode").asText()).isEqualTo("dry-run");
        assertThat(json.get("counts").get("would_replay").asInt()).isEqualTo(1);
        assertThat(json.get("replayed").get(0).get("committed").asBoolean()).isFalse();
        assertThat(json.get("replayed").get(0).get("chain").asText()).isEqualTo("gemini/gemini-2.5-flash");
    }
}
