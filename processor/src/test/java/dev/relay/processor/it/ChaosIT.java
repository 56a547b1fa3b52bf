package dev.relay.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1,000 jobs through the real openai adapter against a local primary that fails 30 % of calls (429, 500, 503, or no
 * answer within the 1 s timeout) and a fallback that always answers.
 */
@Tag("it")
@Timeout(240) // above its own waits (60 s results, 20 s audit, 30 s close), so a loss shows its diagnosis
class ChaosIT {

    private static final Logger log = LoggerFactory.getLogger(ChaosIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final int JOBS = 1000;

    @TempDir
    Path stateDir;

    @Test
    void shouldGiveEveryJobExactlyOneResultAndFallBackExactlyWherePrimaryFailed() throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        Reply ok = Reply.ok().after(Duration.ofMillis(5));
        Supplier<Reply> flaky = () -> {
            synchronized (random) {
                if (random.nextDouble() >= 0.30) {
                    return ok;
                }
                return switch (random.nextInt(4)) {
                    case 0 -> Reply.error(429).header("Retry-After", "0");
                    case 1 -> Reply.error(500);
                    case 2 -> Reply.error(503);
                    default -> Reply.hang(); // no answer within the 1 s timeout
                };
            }
        };
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        try (FakeProvider primary = FakeProvider.start().script(request -> flaky.get());
                FakeProvider fallback = FakeProvider.start().reply(ok)) {
            String providers = """
                    "primary": {"type": "openai", "keys": [{"name": "k1", "value": "sk-one"}, {"name": "k2", "value": "sk-two"}],
                                "network_config": {"base_url": "%s", "default_request_timeout_in_seconds": 1,
                                                   "max_retries": 1, "retry_backoff_initial": 10, "retry_backoff_max": 50}},
                    "fallback": {"type": "openai", "keys": [{"name": "f1", "value": "sk-f"}],
                                 "network_config": {"base_url": "%s"}}
                    """.formatted(primary.baseUrl(), fallback.baseUrl());
            var config = RelayIt.config(RelayIt.configJson(
                    STACK.bootstrapServers(), STACK.registryUrl(), topics, RelayIt.appId(), stateDir, providers, ""));
            try (RelayProcessor processor = RelayProcessor.start(config)) {
                List<Job> jobs = IntStream.range(0, JOBS)
                        .mapToObj(i -> RelayIt.job("chaos-" + i, List.of("primary/gpt-p", "fallback/gpt-f")))
                        .toList();
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);

                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, JOBS, Duration.ofSeconds(60));
                List<AttemptRecord> audit = RelayIt.attempts(STACK.bootstrapServers(), serdes, topics, JOBS);

                assertThat(results)
                        .as(() -> missing(jobs, results, audit, primary, fallback))
                        .hasSize(JOBS);
                assertThat(results.stream().map(JobResult::getJobId).distinct()).hasSize(JOBS);
                assertThat(results).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED));

                Map<String, List<AttemptRecord>> auditByJob = audit.stream()
                        .collect(Collectors.groupingBy(a -> a.getJobId().toString()));
                int fellBack = 0;
                for (JobResult r : results) {
                    String id = r.getJobId();
                    List<String> fromResult =
                            r.getAttempts().stream().map(ChaosIT::describe).toList();
                    List<String> fromAudit = auditByJob.getOrDefault(id, List.of()).stream()
                            .map(ChaosIT::describe)
                            .toList();
                    assertThat(fromAudit).as("audit of %s", id).containsExactlyInAnyOrderElementsOf(fromResult);

                    List<AttemptSummary> onPrimary = r.getAttempts().stream()
                            .filter(a -> a.getHop() == 0)
                            .toList();
                    boolean primaryFailed = onPrimary.stream().noneMatch(a -> a.getOutcome() == OutcomeClass.SUCCESS);
                    assertThat(r.getHop()).as("hop of %s", id).isEqualTo(primaryFailed ? 1 : 0);
                    assertThat(fallback.requestsFor(id))
                            .as("fallback calls for %s", id)
                            .isEqualTo(primaryFailed ? 1 : 0);
                    assertThat(primary.requestsFor(id))
                            .as("primary calls for %s", id)
                            .isEqualTo(onPrimary.size());
                    if (primaryFailed) {
                        fellBack++;
                    }
                }
                long failedCalls = primary.requests().stream()
                        .filter(c -> c.status() != 200)
                        .count();
                log.info(
                        "chaos: {} jobs, {} primary calls ({} failed), {} fell back",
                        JOBS,
                        primary.requests().size(),
                        failedCalls,
                        fellBack);
                assertThat(failedCalls).isGreaterThan(200);
                assertThat(fellBack).isPositive();
            }
        }
    }

    /** What the test saw of the jobs without a result, so a failure says where they stopped. */
    private static String missing(
            List<Job> jobs,
            List<JobResult> results,
            List<AttemptRecord> audit,
            FakeProvider primary,
            FakeProvider fallback) {
        var done = results.stream().map(JobResult::getJobId).collect(Collectors.toSet());
        List<String> lost = jobs.stream()
                .map(Job::getJobId)
                .filter(id -> !done.contains(id))
                .toList();
        StringBuilder sb = new StringBuilder(lost.size() + " jobs without a result");
        for (String id : lost.subList(0, Math.min(10, lost.size()))) {
            List<String> attempts = audit.stream()
                    .filter(a -> a.getJobId().toString().equals(id))
                    .map(ChaosIT::describe)
                    .toList();
            sb.append("\n  ")
                    .append(id)
                    .append(": primary calls ")
                    .append(primary.requestsFor(id))
                    .append(", fallback calls ")
                    .append(fallback.requestsFor(id))
                    .append(", audit ")
                    .append(attempts);
        }
        if (!lost.isEmpty()) { // where the processor's threads are, in case one is stuck
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (t.getName().contains("StreamThread") || t.getName().contains("kafka-producer")) {
                    sb.append("\n  thread ").append(t.getName()).append(" ").append(t.getState());
                    for (int i = 0; i < Math.min(12, stack.length); i++) {
                        sb.append("\n      at ").append(stack[i]);
                    }
                }
            });
        }
        return sb.toString();
    }

    private static String describe(AttemptSummary a) {
        return a.getHop() + "/" + a.getAttempt() + "/" + a.getProvider() + "/" + a.getOutcome() + "/" + a.getDecision();
    }

    private static String describe(AttemptRecord a) {
        return a.getHop() + "/" + a.getAttempt() + "/" + a.getProvider() + "/" + a.getOutcome() + "/" + a.getDecision();
    }
}
