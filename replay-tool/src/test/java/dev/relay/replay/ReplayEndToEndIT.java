package dev.relay.replay;

import static dev.relay.replay.TestRecords.chain;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done when": with every provider failing, 300 jobs fail; the providers are fixed; a replay with a
 * filter makes all 300 succeed, and each job's result shows the attempts of both generations. Real processor, real
 * broker and registry, real local HTTP providers.
 */
@Timeout(300)
class ReplayEndToEndIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final int JOBS = 300;

    @TempDir
    Path dir;

    @Test
    void shouldMakeEveryJobOfAnOutageSucceedByReplayingIt() throws Exception {
        Topics topics = STACK.freshTopics();
        // both providers are down (500) until the outage ends
        Reply down = Reply.error(500, "server_error", "internal error (outage)");
        try (FakeProvider alpha = FakeProvider.start().reply(down);
                FakeProvider beta = FakeProvider.start().reply(down);
                LogFixture log = new LogFixture(STACK.bootstrapServers(), STACK.registryUrl(), topics)) {
            RelayConfig config = config(topics, alpha.baseUrl(), beta.baseUrl());
            try (RelayProcessor processor = RelayProcessor.start(config)) {
                Instant outage = Instant.now();
                for (int i = 0; i < JOBS; i++) {
                    log.job(
                            TestRecords.job(
                                    "e2e-" + i,
                                    0,
                                    "acme",
                                    "b-e2e",
                                    chain("alpha/model-a", "beta/model-b"),
                                    Instant.now()),
                            Instant.now());
                }
                // a job of another tenant fails too; the filter keeps it out of the replay
                log.job(
                        TestRecords.job("other-0", 0, "globex", null, chain("alpha/model-a"), Instant.now()),
                        Instant.now());
                log.flush();

                Map<String, FailedJob> failed = latestByKey(
                        log, topics.failed(), (k, v) -> log.serdes.failed().deserialize(topics.failed(), v), JOBS + 1);
                assertThat(failed).hasSize(JOBS + 1);
                assertThat(failed.values()).allSatisfy(f -> {
                    assertThat(f.getFinalOutcome()).isEqualTo(OutcomeClass.TRANSIENT);
                    assertThat(f.getAttempts())
                            .extracting(AttemptSummary::getProvider)
                            .contains("alpha");
                });

                alpha.reply(Reply.ok("recovered"));
                beta.reply(Reply.ok("recovered"));
                Path report = dir.resolve("e2e.json");
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code = ReplayMain.run(
                        new PrintWriter(out, true),
                        new PrintWriter(err, true),
                        "--bootstrap-servers",
                        STACK.bootstrapServers(),
                        "--registry-url",
                        STACK.registryUrl(),
                        "--topic-prefix",
                        topics.prefix(),
                        "--since",
                        outage.minusSeconds(60).toString(),
                        "--error-class",
                        "TRANSIENT",
                        "--tenant",
                        "acme",
                        "--execute",
                        "--report",
                        report.toString());
                assertThat(code).as(err.toString()).isZero();
                assertThat(new ObjectMapper()
                                .readTree(report.toFile())
                                .get("counts")
                                .get("replayed")
                                .asInt())
                        .isEqualTo(JOBS);

                Map<String, JobResult> results = new HashMap<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (System.nanoTime() < deadline && succeeded(results) < JOBS) {
                    results = latestByKey(
                            log, topics.results(), (k, v) -> log.serdes.result().deserialize(topics.results(), v), 0);
                }
                List<JobResult> replayed = results.values().stream()
                        .filter(r -> r.getJobId().startsWith("e2e-"))
                        .toList();
                assertThat(replayed).hasSize(JOBS).allSatisfy(r -> {
                    assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
                    assertThat(r.getReplayGeneration()).isEqualTo(1);
                    assertThat(r.getAttempts())
                            .extracting(AttemptSummary::getReplayGeneration)
                            .contains(0, 1);
                    assertThat(r.getAttempts())
                            .filteredOn(a -> a.getReplayGeneration() == 0)
                            .allSatisfy(a -> assertThat(a.getOutcome()).isEqualTo(OutcomeClass.TRANSIENT));
                    assertThat(r.getAttempts())
                            .filteredOn(a -> a.getReplayGeneration() == 1)
                            .extracting(AttemptSummary::getOutcome)
                            .containsExactly(OutcomeClass.SUCCESS);
                });
                // the other tenant's job was not replayed
                assertThat(results.get("other-0").getStatus()).isEqualTo(JobStatus.FAILED);
                assertThat(log.committedJobs())
                        .filteredOn(j -> j.getJobId().equals("other-0"))
                        .extracting(Job::getReplayGeneration)
                        .containsExactly(0);
            }
        }
    }

    private static long succeeded(Map<String, JobResult> results) {
        return results.values().stream()
                .filter(r -> r.getJobId().startsWith("e2e-") && r.getStatus() == JobStatus.SUCCEEDED)
                .count();
    }

    /** The last record per key on a topic (read_committed), waiting up to a minute for {@code atLeast} keys. */
    private static <T> Map<String, T> latestByKey(
            LogFixture log, String topic, java.util.function.BiFunction<String, byte[], T> decode, int atLeast)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Map<String, T> latest = new HashMap<>();
            log.readAll(topic, "read_committed").forEach(r -> latest.put(r.key(), decode.apply(r.key(), r.value())));
            if (latest.size() >= atLeast || System.nanoTime() > deadline) {
                return latest;
            }
            Thread.sleep(500);
        }
    }

    private RelayConfig config(Topics topics, String alphaUrl, String betaUrl) {
        String json = """
                {
                  "providers": {
                    "alpha": {"type": "openai-compatible", "keys": [{"name": "a", "value": "sk-alpha"}],
                              "network_config": {"base_url": "%s", "default_request_timeout_in_seconds": 5,
                                                 "max_retries": 0}},
                    "beta":  {"type": "openai-compatible", "keys": [{"name": "b", "value": "sk-beta"}],
                              "network_config": {"base_url": "%s", "default_request_timeout_in_seconds": 5,
                                                 "max_retries": 0}}
                  },
                  "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                            "max_fallbacks": %d, "application_id": "replay-e2e-%s", "state_dir": "%s",
                            "commit_interval": "20ms", "poll_interval": "5ms"},
                  "circuit_breaker": {"enabled": false},
                  "metrics": {"port": 0}
                }
                """.formatted(
                        alphaUrl,
                        betaUrl,
                        STACK.bootstrapServers(),
                        STACK.registryUrl(),
                        topics.prefix(),
                        topics.maxHops(),
                        UUID.randomUUID().toString().substring(0, 8),
                        dir.resolve("streams").toString().replace("\\", "/"));
        return new ConfigLoader(name -> Optional.empty()).parse(json, "replay-e2e");
    }
}
