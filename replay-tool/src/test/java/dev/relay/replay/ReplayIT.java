package dev.relay.replay;

import static dev.relay.replay.TestRecords.chain;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The replay tool against the real broker and registry, on records written with the real serde. */
@Timeout(120)
class ReplayIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final List<Target> CHAIN = chain("openai/gpt-4o-mini", "anthropic/claude-haiku-4-5");

    @TempDir
    Path dir;

    private Topics topics;
    private LogFixture log;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void setUp() {
        topics = STACK.freshTopics();
        log = new LogFixture(STACK.bootstrapServers(), STACK.registryUrl(), topics);
    }

    @AfterEach
    void tearDown() {
        log.close();
    }

    private int replay(String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--bootstrap-servers",
                STACK.bootstrapServers(),
                "--registry-url",
                STACK.registryUrl(),
                "--topic-prefix",
                topics.prefix(),
                "--timeout",
                "10s"));
        all.addAll(List.of(args));
        return ReplayMain.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    }

    private JsonNode report(Path file) throws Exception {
        return new ObjectMapper().readTree(file.toFile());
    }

    /** Writes n gen-0 failures at {@code at}: original job on relay.jobs, FAILED result, FailedJob. */
    private List<Job> fail(String prefix, int n, OutcomeClass cls, String tenant, String batch, Instant at) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Job job = TestRecords.job(prefix + i, 0, tenant, batch, CHAIN, at.minusSeconds(5));
            log.job(job, at.minusSeconds(5));
            log.result(TestRecords.result(job, JobStatus.FAILED, cls, at), at);
            log.failed(TestRecords.failed(job, cls, at), at);
            jobs.add(job);
        }
        log.flush();
        return jobs;
    }

    @Test
    void shouldWriteNothingInADryRun() throws Exception {
        Instant now = Instant.now();
        fail("dry-", 20, OutcomeClass.TRANSIENT, "acme", null, now);
        var before = log.endOffsets();
        Path file = dir.resolve("dry.json");

        assertThat(replay("--report", file.toString())).isEqualTo(ReplayMain.EXIT_OK);

        assertThat(log.endOffsets()).isEqualTo(before);
        assertThat(out.toString())
                .contains("dry-0")
                .contains("selected 20 failed job(s); would replay 20")
                .contains("TRANSIENT")
                .contains("openai")
                .contains("nothing was written");
        JsonNode json = report(file);
        assertThat(json.get("mode").asText()).isEqualTo("dry-run");
        assertThat(json.get("counts").get("would_replay").asInt()).isEqualTo(20);
        assertThat(json.get("replayed")).hasSize(20);
    }

    @Test
    void shouldRepublishWithTheNextGenerationAndOriginThenSkipOnARepeat() throws Exception {
        Instant now = Instant.now();
        fail("t-", 10, OutcomeClass.TRANSIENT, null, null, now);
        fail("auth-", 5, OutcomeClass.AUTH, null, null, now);
        Path file = dir.resolve("exec.json");

        assertThat(replay(
                        "--execute",
                        "--error-class",
                        "TRANSIENT",
                        "--chain",
                        "gemini/gemini-2.5-flash",
                        "--reason",
                        "INC-42 openai outage",
                        "--report",
                        file.toString()))
                .isEqualTo(ReplayMain.EXIT_OK);

        List<Job> replayed = log.committedJobs().stream()
                .filter(j -> j.getReplayGeneration() == 1)
                .toList();
        assertThat(replayed)
                .extracting(Job::getJobId)
                .containsExactlyInAnyOrder("t-0", "t-1", "t-2", "t-3", "t-4", "t-5", "t-6", "t-7", "t-8", "t-9");
        assertThat(replayed).allSatisfy(j -> {
            assertThat(j.getHop()).isZero();
            assertThat(j.getAttempts())
                    .hasSize(2)
                    .allSatisfy(a -> assertThat(a.getReplayGeneration()).isZero());
            assertThat(j.getOrigin())
                    .startsWith("replay:")
                    .contains(" by ")
                    .contains(" run ")
                    .endsWith(": INC-42 openai outage");
            assertThat(j.getChain()).isEqualTo(chain("gemini/gemini-2.5-flash"));
            assertThat(j.getRequest().getMessages().get(0).getContent().get(0).getText())
                    .isEqualTo("hello " + j.getJobId());
            assertThat(j.getMetadata()).containsEntry("replay.previous_generation", "0");
        });
        assertThat(report(file).get("counts").get("replayed").asInt()).isEqualTo(10);

        // the same command again: everything was replayed already, nothing is written
        var before = log.endOffsets();
        Path again = dir.resolve("again.json");
        assertThat(replay("--execute", "--error-class", "TRANSIENT", "--report", again.toString()))
                .isEqualTo(ReplayMain.EXIT_OK);
        assertThat(log.endOffsets()).isEqualTo(before);
        JsonNode json = report(again);
        assertThat(json.get("counts").get("replayed").asInt()).isZero();
        assertThat(json.get("skipped"))
                .hasSize(10)
                .allSatisfy(s -> assertThat(s.get("reason").asText()).isEqualTo("ALREADY_REPLAYED"));

        // --force replays them again, as generation 2
        assertThat(replay("--execute", "--force", "--job-id", "t-3")).isEqualTo(ReplayMain.EXIT_OK);
        assertThat(log.committedJobs())
                .filteredOn(j -> j.getJobId().equals("t-3"))
                .extracting(Job::getReplayGeneration)
                .containsExactly(0, 1, 2);
    }

    @Test
    void shouldSeekWithOffsetsForTimesAndNotReadOlderRecords() throws Exception {
        Instant now = Instant.now();
        fail("old-", 50, OutcomeClass.TRANSIENT, null, null, now.minus(Duration.ofHours(3)));
        fail("mid-", 20, OutcomeClass.TRANSIENT, null, null, now.minus(Duration.ofMinutes(90)));
        fail("new-", 30, OutcomeClass.TRANSIENT, null, null, now.minus(Duration.ofMinutes(10)));
        Path file = dir.resolve("since.json");

        assertThat(replay("--since", "1h", "--report", file.toString())).isZero();

        JsonNode json = report(file);
        JsonNode failedScan = json.get("scans").get(0);
        assertThat(failedScan.get("topic").asText()).isEqualTo(topics.failed());
        assertThat(failedScan.get("skipped_before_window").asLong()).isEqualTo(70);
        assertThat(failedScan.get("records_read").asLong()).isEqualTo(30);
        assertThat(json.get("counts").get("selected").asInt()).isEqualTo(30);
        assertThat(json.get("selected"))
                .allSatisfy(s -> assertThat(s.get("job_id").asText()).startsWith("new-"));

        Path window = dir.resolve("window.json");
        assertThat(replay("--since", "2h", "--until", "1h", "--report", window.toString()))
                .isZero();
        assertThat(report(window).get("selected"))
                .hasSize(20)
                .allSatisfy(s -> assertThat(s.get("job_id").asText()).startsWith("mid-"));
    }

    @Test
    void shouldFilterByEveryOption() throws Exception {
        Instant now = Instant.now();
        fail("a-", 4, OutcomeClass.TRANSIENT, "acme", "b1", now);
        fail("b-", 3, OutcomeClass.RATE_LIMITED, "globex", "b2", now);
        Job other = TestRecords.job("g-0", 0, "acme", null, chain("gemini/gemini-2.5-flash"), now);
        log.job(other, now);
        log.failed(TestRecords.failed(other, OutcomeClass.QUOTA, now), now);
        log.flush();

        assertThat(selected("--tenant", "acme")).containsExactlyInAnyOrder("a-0", "a-1", "a-2", "a-3", "g-0");
        assertThat(selected("--batch-id", "b2")).containsExactlyInAnyOrder("b-0", "b-1", "b-2");
        assertThat(selected("--error-class", "RATE_LIMITED,QUOTA"))
                .containsExactlyInAnyOrder("b-0", "b-1", "b-2", "g-0");
        assertThat(selected("--provider", "gemini")).containsExactly("g-0");
        assertThat(selected("--model", "anthropic/claude-haiku-4-5", "--tenant", "globex"))
                .containsExactlyInAnyOrder("b-0", "b-1", "b-2");
        assertThat(selected("--job-id", "a-1", "--job-id", "b-2")).containsExactlyInAnyOrder("a-1", "b-2");
        Path ids = Files.writeString(dir.resolve("ids.txt"), "# from the incident ticket\na-0\n\ng-0\n");
        assertThat(selected("--job-ids-file", ids.toString())).containsExactlyInAnyOrder("a-0", "g-0");

        assertThat(replay("--tenant", "nobody")).isEqualTo(ReplayMain.EXIT_NOTHING_MATCHED);
        assertThat(out.toString()).contains("nothing matched");
    }

    @Test
    void shouldReplayFailedResultsFromTheJobsTopicAndSkipSucceededUnlessForced() throws Exception {
        Instant now = Instant.now();
        // a FAILED result with no FailedJob (e.g. relay.failed expired): the job comes from relay.jobs
        Job orphan = TestRecords.job("res-0", 0, null, null, CHAIN, now.minusSeconds(5));
        log.job(orphan, now.minusSeconds(5));
        log.result(TestRecords.result(orphan, JobStatus.FAILED, OutcomeClass.TIMEOUT, now), now);
        // failed once, then succeeded (e.g. resubmitted by the caller)
        fail("ok-", 1, OutcomeClass.TRANSIENT, null, null, now);
        Job ok = TestRecords.job("ok-0", 0, null, null, CHAIN, now.minusSeconds(5));
        log.result(
                TestRecords.result(ok, JobStatus.SUCCEEDED, OutcomeClass.SUCCESS, now.plusSeconds(1)),
                now.plusSeconds(1));
        log.flush();

        Path file = dir.resolve("results.json");
        assertThat(replay("--include-failed-results", "--execute", "--report", file.toString()))
                .isZero();
        JsonNode json = report(file);
        assertThat(json.get("replayed"))
                .singleElement()
                .satisfies(r -> assertThat(r.get("job_id").asText()).isEqualTo("res-0"));
        assertThat(json.get("skipped")).singleElement().satisfies(s -> {
            assertThat(s.get("job_id").asText()).isEqualTo("ok-0");
            assertThat(s.get("reason").asText()).isEqualTo("SUCCEEDED");
        });
        assertThat(log.committedJobs())
                .filteredOn(j -> j.getReplayGeneration() == 1)
                .extracting(Job::getJobId)
                .containsExactly("res-0");

        assertThat(replay("--job-id", "ok-0", "--force", "--execute")).isZero();
        assertThat(log.committedJobs())
                .filteredOn(j -> j.getJobId().equals("ok-0"))
                .extracting(Job::getReplayGeneration)
                .containsExactly(0, 1);
    }

    @Test
    void shouldDuplicateNothingWhenAKilledRunIsRunAgain() throws Exception {
        fail("k-", 300, OutcomeClass.TRANSIENT, null, null, Instant.now());

        // killed after 175 sends: transactions of up to 50 committed, the last one left open
        Path killed = dir.resolve("killed.json");
        assertThat(replay("--execute", "--commit-every", "50", "--halt-after", "175", "--report", killed.toString()))
                .isEqualTo(ReplayMain.EXIT_INTERRUPTED);
        assertThat(err.toString()).contains("run the same command again");
        JsonNode first = report(killed);
        assertThat(first.get("outcome").asText()).startsWith("FAILED");
        int committed = first.get("replayed").size();
        assertThat(committed).isPositive().isLessThan(175); // (a transaction also commits after 1 s of work)

        Path file = dir.resolve("rerun.json");
        assertThat(replay("--execute", "--commit-every", "50", "--report", file.toString()))
                .isZero();

        List<Job> gen1 = log.committedJobs().stream()
                .filter(j -> j.getReplayGeneration() == 1)
                .toList();
        Map<String, Long> perId = gen1.stream().collect(Collectors.groupingBy(Job::getJobId, Collectors.counting()));
        assertThat(perId).hasSize(300);
        assertThat(perId.values()).allMatch(n -> n == 1);
        JsonNode json = report(file);
        assertThat(json.get("counts").get("replayed").asInt()).isEqualTo(300 - committed);
        assertThat(json.get("counts").get("skipped").asInt()).isEqualTo(committed);
        assertThat(json.get("skipped"))
                .allSatisfy(s -> assertThat(s.get("reason").asText()).isEqualTo("ALREADY_REPLAYED"));
        // the killed run's open transaction was really written, and aborted: only a read_uncommitted reader sees it
        long uncommitted = log.readAll(topics.jobs(), "read_uncommitted").size();
        assertThat(uncommitted).isEqualTo(300 + 300 + (175 - committed));
    }

    @Test
    void shouldAnswerWithinTheTimeoutWhenTheBrokerOrRegistryIsDown() {
        long started = System.nanoTime();
        int code = ReplayMain.run(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                "--bootstrap-servers",
                "127.0.0.1:" + closedPort(),
                "--registry-url",
                STACK.registryUrl(),
                "--timeout",
                "3s",
                "--execute");
        assertThat(code).isEqualTo(ReplayMain.EXIT_UNREACHABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(err.toString()).contains("did not answer within 3 s");

        started = System.nanoTime();
        code = replayWithRegistry("http://127.0.0.1:" + closedPort() + "/apis/ccompat/v7");
        assertThat(code).isEqualTo(ReplayMain.EXIT_UNREACHABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(err.toString()).contains("schema registry");
    }

    @Test
    void shouldSaySoWhenTheTopicsDoNotExist() throws Exception {
        String prefix = "nope" + UUID.randomUUID().toString().substring(0, 8) + ".";
        int code = ReplayMain.run(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                "--bootstrap-servers",
                STACK.bootstrapServers(),
                "--registry-url",
                STACK.registryUrl(),
                "--topic-prefix",
                prefix,
                "--timeout",
                "5s");
        assertThat(code).isEqualTo(ReplayMain.EXIT_USAGE);
        assertThat(err.toString())
                .contains("topic " + prefix + "failed does not exist")
                .contains("--topic-prefix");
        assertThat(STACK.admin().listTopics().names().get()).noneMatch(t -> t.startsWith(prefix));
    }

    private int replayWithRegistry(String url) {
        return ReplayMain.run(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                "--bootstrap-servers",
                STACK.bootstrapServers(),
                "--registry-url",
                url,
                "--topic-prefix",
                topics.prefix(),
                "--timeout",
                "3s");
    }

    private List<String> selected(String... filters) throws Exception {
        Path file = Files.createTempFile(dir, "sel", ".json");
        List<String> args = new ArrayList<>(List.of(filters));
        args.addAll(List.of("--report", file.toString()));
        assertThat(replay(args.toArray(String[]::new))).isZero();
        List<String> ids = new ArrayList<>();
        report(file).get("selected").forEach(n -> ids.add(n.get("job_id").asText()));
        return ids;
    }

    private static int closedPort() {
        try (var socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
