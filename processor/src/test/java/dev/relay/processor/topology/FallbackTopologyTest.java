package dev.relay.processor.topology;

import static dev.relay.processor.topology.ScriptedProvider.fail;
import static dev.relay.processor.topology.ScriptedProvider.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Decision;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FallbackTopologyTest {

    private static InMemorySchemaRegistry registry;

    @TempDir
    Path stateDir;

    private TopologyHarness h;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = InMemorySchemaRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @BeforeEach
    void open() {
        h = new TopologyHarness(registry, stateDir);
    }

    @AfterEach
    void close() {
        if (h != null) {
            h.close();
        }
    }

    private JobResult onlyResult(String jobId) {
        List<JobResult> all = h.results.readValuesToList();
        assertThat(all).hasSize(1);
        assertThat(all.get(0).getJobId()).isEqualTo(jobId);
        return all.get(0);
    }

    private List<AttemptRecord> attempts() {
        return h.attempts.readValuesToList();
    }

    @Test
    void shouldReturnPrimaryAnswerWhenPrimarySucceeds() {
        h.submit(TopologyHarness.job("j1", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j1");
        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.getProvider()).isEqualTo("alpha");
        assertThat(r.getModel()).isEqualTo("m1");
        assertThat(r.getHop()).isZero();
        assertThat(r.getResponseJson()).contains("\"chat.completion\"").contains("hello from m1");
        assertThat(r.getAttempts()).singleElement().satisfies(a -> {
            assertThat(a.getDecision()).isEqualTo(Decision.RETURNED);
            assertThat(a.getKeyName()).isEqualTo("a1");
        });
        List<AttemptRecord> audit = attempts();
        assertThat(audit).singleElement().satisfies(a -> {
            assertThat(a.getOutcome()).isEqualTo(OutcomeClass.SUCCESS);
            assertThat(a.getTotalTokens()).isEqualTo(7);
        });
        assertThat(h.provider("beta").calls()).isEmpty();
        assertThat(h.failed.isEmpty()).isTrue();
    }

    @Test
    void shouldRetrySameTargetThenSucceedWhenFirstCallIsTransient() {
        AtomicInteger n = new AtomicInteger();
        h.provider("alpha")
                .answer(c -> n.incrementAndGet() == 1
                        ? fail(FailureClass.TRANSIENT, 503, "server_error", "overloaded")
                        : ok(c));
        h.submit(TopologyHarness.job("j2", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j2");
        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.getHop()).isZero();
        assertThat(r.getAttempts())
                .extracting(a -> a.getDecision())
                .containsExactly(Decision.RETRY_SAME, Decision.RETURNED);
        assertThat(r.getAttempts()).extracting(a -> a.getAttempt()).containsExactly(1, 2);
        assertThat(attempts()).hasSize(2);
        assertThat(h.provider("beta").calls()).isEmpty();
    }

    @Test
    void shouldUseAnotherKeyWhenRateLimited() {
        h.provider("alpha")
                .answer(c -> "a1".equals(c.keyName())
                        ? fail(FailureClass.RATE_LIMITED, 429, "rate_limit_error", "slow down")
                        : ok(c));
        h.submit(TopologyHarness.job("j3", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j3");
        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(h.provider("alpha").calls())
                .extracting(ScriptedProvider.Seen::keyName)
                .containsExactly("a1", "a2");
        assertThat(r.getAttempts()).extracting(a -> a.getKeyName()).containsExactly("a1", "a2");
        assertThat(r.getAttempts().get(0).getOutcome()).isEqualTo(OutcomeClass.RATE_LIMITED);
    }

    @Test
    void shouldMoveToNextHopWhenPrimaryKeepsFailingWith5xx() {
        h.provider("alpha").answer(c -> fail(FailureClass.TRANSIENT, 500, "server_error", "boom"));
        h.submit(TopologyHarness.job("j4", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j4");
        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.getProvider()).isEqualTo("beta");
        assertThat(r.getHop()).isEqualTo(1);
        // max_retries 2: three tries on alpha, then beta answers
        assertThat(r.getAttempts())
                .extracting(a -> a.getDecision())
                .containsExactly(Decision.RETRY_SAME, Decision.RETRY_SAME, Decision.NEXT_HOP, Decision.RETURNED);
        assertThat(h.hop1.readValuesToList()).singleElement().satisfies(j -> {
            assertThat(j.getHop()).isEqualTo(1);
            assertThat(j.getAttempts()).hasSize(3);
        });
        assertThat(attempts()).hasSize(4);
    }

    @Test
    void shouldReturnPrimaryErrorAndWriteFailedJobWhenChainIsExhausted() {
        h.provider("alpha").answer(c -> fail(FailureClass.MODEL_UNAVAILABLE, 404, "not_found_error", "no such model"));
        h.provider("beta").answer(c -> fail(FailureClass.TIMEOUT, null, null, "timed out"));
        h.submit(TopologyHarness.job("j5", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j5");
        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThat(r.getProvider()).isEqualTo("alpha");
        assertThat(r.getError().getHttpStatus()).isEqualTo(404);
        assertThat(r.getError().getType()).isEqualTo("not_found_error");
        assertThat(r.getError().getMessage()).isEqualTo("no such model");
        List<FailedJob> failed = h.failed.readValuesToList();
        assertThat(failed).singleElement().satisfies(f -> {
            assertThat(f.getTerminalReason()).isEqualTo("CHAIN_EXHAUSTED");
            assertThat(f.getJob().getHop()).isZero();
            assertThat(f.getAttempts())
                    .extracting(a -> a.getOutcome())
                    .containsExactly(OutcomeClass.MODEL_UNAVAILABLE, OutcomeClass.TIMEOUT);
            assertThat(f.getAttempts())
                    .extracting(a -> a.getErrorMessage())
                    .containsExactly("no such model", "timed out");
        });
        assertThat(attempts())
                .extracting(AttemptRecord::getDecision)
                .containsExactly(Decision.NEXT_HOP, Decision.GIVE_UP);
    }

    @Test
    void shouldEndAtOnceWithoutFallbackWhenRequestIsInvalid() {
        h.provider("alpha").answer(c -> fail(FailureClass.INVALID_REQUEST, 400, "invalid_request_error", "bad temp"));
        h.submit(TopologyHarness.job("j6", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j6");
        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThat(r.getError().getHttpStatus()).isEqualTo(400);
        assertThat(h.provider("alpha").calls()).hasSize(1);
        assertThat(h.provider("beta").calls()).isEmpty();
        assertThat(h.failed.readValuesToList())
                .singleElement()
                .satisfies(f -> assertThat(f.getTerminalReason()).isEqualTo("INVALID_REQUEST"));
    }

    @Test
    void shouldStopChainWhenFailureDisallowsFallbacks() {
        h.provider("alpha")
                .answer(c -> ((AttemptOutcome.Failure)
                                fail(FailureClass.MODEL_UNAVAILABLE, 404, "mock_error", "injected"))
                        .withAllowFallbacks(false));
        h.submit(TopologyHarness.job("j7", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j7");
        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThat(r.getError().getMessage()).isEqualTo("injected");
        assertThat(h.provider("beta").calls()).isEmpty();
        assertThat(h.failed.readValuesToList())
                .singleElement()
                .satisfies(f -> assertThat(f.getTerminalReason()).isEqualTo("FALLBACKS_NOT_ALLOWED"));
    }

    @Test
    void shouldSkipProviderWhenItsCircuitIsOpen() {
        h.breakers.open.add("alpha");
        h.submit(TopologyHarness.job("j8", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j8");
        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.getProvider()).isEqualTo("beta");
        assertThat(h.provider("alpha").calls()).isEmpty();
        assertThat(attempts())
                .extracting(AttemptRecord::getDecision)
                .containsExactly(Decision.SKIPPED_CIRCUIT_OPEN, Decision.RETURNED);
        assertThat(r.getAttempts().get(0).getOutcome()).isEqualTo(OutcomeClass.CIRCUIT_OPEN);
    }

    @Test
    void shouldReturnFirstRealErrorWhenPrimaryWasSkippedByBreaker() {
        h.breakers.open.add("alpha");
        h.provider("beta").answer(c -> fail(FailureClass.AUTH, 401, "authentication_error", "bad key"));
        h.submit(TopologyHarness.job("j8b", "alpha/m1", "beta/m2"));
        h.run();

        JobResult r = onlyResult("j8b");
        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThat(r.getError().getHttpStatus()).isEqualTo(401);
        assertThat(r.getError().getMessage()).isEqualTo("bad key");
    }

    @Test
    void shouldEndWithDeadlineWithoutCallingWhenDeadlinePassed() {
        Job job = Job.newBuilder(TopologyHarness.job("j9", "alpha/m1", "beta/m2"))
                .setDeadline(Instant.ofEpochMilli(999_500))
                .build(); // the driver's clock starts at 1,000,000
        h.submit(job);
        h.run();

        JobResult r = onlyResult("j9");
        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThat(r.getError().getOutcome()).isEqualTo(OutcomeClass.DEADLINE);
        assertThat(h.provider("alpha").calls()).isEmpty();
        assertThat(h.failed.readValuesToList())
                .singleElement()
                .satisfies(f -> assertThat(f.getTerminalReason()).isEqualTo("DEADLINE"));
    }

    @Test
    void shouldSendPoisonRecordToDeadLetterTopicWithBytesAndHeaders() {
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
        h.rawJobs.pipeInput("poison", garbage);
        h.submit(TopologyHarness.job("j10", "alpha/m1"));
        h.run();

        var dead = h.deadletter.readRecordsToList();
        assertThat(dead).singleElement().satisfies(rec -> {
            assertThat(rec.key()).isEqualTo("poison".getBytes(StandardCharsets.UTF_8));
            assertThat(rec.value()).isEqualTo(garbage);
            assertThat(header(rec.headers().lastHeader(DeadLetters.EXCEPTION))).contains("RecordDecodingException");
            assertThat(header(rec.headers().lastHeader(DeadLetters.MESSAGE))).contains("BAD_MAGIC_BYTE");
            assertThat(header(rec.headers().lastHeader(DeadLetters.TOPIC))).isEqualTo(h.topics.jobs());
            assertThat(header(rec.headers().lastHeader(DeadLetters.PARTITION))).isEqualTo("0");
            assertThat(header(rec.headers().lastHeader(DeadLetters.OFFSET))).isEqualTo("0");
        });
        assertThat(onlyResult("j10").getStatus()).isEqualTo(JobStatus.SUCCEEDED); // processing went on
    }

    @Test
    void shouldSendJobThatCannotBeProcessedToDeadLetterTopic() {
        h.submit(TopologyHarness.job("j11")); // an empty chain
        h.submit(TopologyHarness.job("j12", "alpha/m1"));
        h.run();

        assertThat(h.deadletter.readRecordsToList()).singleElement().satisfies(rec -> {
            assertThat(new String(rec.key(), StandardCharsets.UTF_8)).isEqualTo("j11");
            assertThat(rec.value()).isNotEmpty();
            assertThat(header(rec.headers().lastHeader(DeadLetters.EXCEPTION))).contains("IllegalArgumentException");
        });
        assertThat(onlyResult("j12").getStatus()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void shouldReissueStoredJobsAfterRestart() {
        h.close();
        var disk = new java.util.concurrent.ConcurrentHashMap<String, SurvivingStore.Disk>();
        h = new TopologyHarness(registry, stateDir, disk);
        h.provider("alpha").hang();
        h.submit(TopologyHarness.job("r1", "alpha/m1"));
        h.submit(TopologyHarness.job("r2", "alpha/m1", "beta/m2"));
        h.run();
        assertThat(h.provider("alpha").calls()).hasSize(2);
        assertThat(h.results.isEmpty()).isTrue();
        h.close(); // a crash: what the store held survives (in a real processor: RocksDB plus the changelog)
        assertThat(h.provider("alpha").pending())
                .allSatisfy(f -> assertThat(f.isCancelled()).isTrue());

        h = new TopologyHarness(registry, stateDir, disk); // the in-flight store is back: its jobs are re-issued
        h.run();

        List<JobResult> results = h.results.readValuesToList();
        assertThat(results).extracting(JobResult::getJobId).containsExactlyInAnyOrder("r1", "r2");
        assertThat(results).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED));
        assertThat(h.provider("alpha").calls())
                .extracting(ScriptedProvider.Seen::jobId)
                .containsExactlyInAnyOrder("r1", "r2");
        // the lost calls were attempt 1; the re-issues are attempt 2, in the audit record and the job's summary
        assertThat(h.attempts.readValuesToList())
                .extracting(AttemptRecord::getJobId, AttemptRecord::getAttempt)
                .containsExactlyInAnyOrder(tuple("r1", 2), tuple("r2", 2));
        assertThat(results)
                .allSatisfy(r -> assertThat(r.getAttempts())
                        .singleElement()
                        .satisfies(a -> assertThat(a.getAttempt()).isEqualTo(2)));
    }

    @Test
    void shouldNumberEachReissuePastTheCallsLostBefore() {
        h.close();
        var disk = new java.util.concurrent.ConcurrentHashMap<String, SurvivingStore.Disk>();
        h = new TopologyHarness(registry, stateDir, disk);
        h.provider("alpha").hang();
        h.submit(TopologyHarness.job("r3", "alpha/m1"));
        h.run();
        for (int crash = 0; crash < 2; crash++) { // two owners die with the call running
            h.close();
            h = new TopologyHarness(registry, stateDir, disk);
            h.provider("alpha").hang();
            h.run();
            assertThat(h.provider("alpha").calls()).hasSize(1);
        }
        h.close();
        h = new TopologyHarness(registry, stateDir, disk);
        h.provider("alpha").answer(c -> fail(FailureClass.TRANSIENT, 500, "server_error", "boom"));
        h.run();

        // calls 1-3 were lost; the fourth fails and is retried as the fifth and sixth (max_retries 2)
        assertThat(h.attempts.readValuesToList())
                .extracting(AttemptRecord::getAttempt)
                .containsExactly(4, 5, 6);
        assertThat(onlyResult("r3").getStatus()).isEqualTo(JobStatus.FAILED);
    }

    @Test
    void shouldQueueJobsBeyondConcurrencyAndRunThemWhenPermitsFree() {
        ScriptedProvider gamma = h.provider("gamma");
        gamma.hang(); // gamma allows 2 calls at a time; the other jobs wait in the store
        for (int i = 0; i < 5; i++) {
            h.submit(TopologyHarness.job("q" + i, "gamma/m"));
        }
        h.run();
        assertThat(gamma.calls()).hasSize(2);
        for (int round = 0; round < 3; round++) {
            gamma.pending().stream().filter(f -> !f.isDone()).forEach(f -> f.complete(ok(call("q"))));
            h.run();
        }
        assertThat(gamma.calls()).hasSize(5);
        assertThat(h.results.readValuesToList())
                .hasSize(5)
                .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED));
    }

    @Test
    void shouldAbandonCallThatOutlivesItsDeadlineAndFreeItsPermit() {
        ScriptedProvider gamma = h.provider("gamma");
        gamma.hang(); // an adapter that never ends its call
        Job job = Job.newBuilder(TopologyHarness.job("h1", "gamma/m", "beta/m2"))
                .setDeadline(Instant.ofEpochMilli(1_000_100))
                .build(); // 100 ms after the driver's start
        h.submit(job);
        h.advance(Duration.ofMillis(20));
        assertThat(gamma.calls()).hasSize(1);

        // abandoned 100 ms + CallLauncher.ABANDON_GRACE_MS of real time after it started
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    h.advance(Duration.ofMillis(5));
                    return !h.attempts.isEmpty();
                });
        h.run();
        assertThat(gamma.pending()).singleElement().satisfies(f -> assertThat(f).isCompletedExceptionally());
        assertThat(attempts()).first().satisfies(a -> {
            assertThat(a.getOutcome()).isEqualTo(OutcomeClass.TIMEOUT);
            assertThat(a.getErrorMessage()).contains("abandoned");
        });
        JobResult r = onlyResult("h1");
        assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThat(r.getError().getOutcome()).isEqualTo(OutcomeClass.DEADLINE);
        // the permit came back: gamma (2 at a time) takes two new calls
        gamma.answer(ScriptedProvider::ok);
        h.submit(TopologyHarness.job("h2", "gamma/m"));
        h.submit(TopologyHarness.job("h3", "gamma/m"));
        h.run();
        assertThat(h.results.readValuesToList())
                .hasSize(2)
                .allSatisfy(x -> assertThat(x.getStatus()).isEqualTo(JobStatus.SUCCEEDED));
    }

    @Test
    void shouldStartTheFallbackCallAtOnceAndHaveTheNextHopAdoptIt() {
        EarlyCalls early = withFastFallback(true);
        h.provider("alpha").answer(c -> fail(FailureClass.TRANSIENT, 500, "server_error", "boom"));
        ScriptedProvider beta = h.provider("beta");
        beta.hang(); // so a second call, if the next hop made one, would show
        h.submit(TopologyHarness.job("f1", "alpha/m1", "beta/m2"));
        h.run();

        // one call on beta: started by hop 0 when alpha's last failure drained, adopted by hop 1 (not repeated)
        assertThat(beta.calls())
                .singleElement()
                .satisfies(c -> assertThat(c.jobId()).isEqualTo("f1"));
        assertThat(early.started()).isEqualTo(1);
        assertThat(early.adopted()).isEqualTo(1);
        assertThat(h.hop1.readValuesToList())
                .singleElement()
                .satisfies(j -> assertThat(j.getHop()).isEqualTo(1));
        beta.pending().get(0).complete(ok(call("f1")));
        h.run();

        JobResult r = onlyResult("f1");
        assertThat(r.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.getProvider()).isEqualTo("beta");
        assertThat(r.getAttempts())
                .extracting(a -> a.getHop() + "/" + a.getDecision())
                .containsExactly("0/RETRY_SAME", "0/RETRY_SAME", "0/NEXT_HOP", "1/RETURNED");
        assertThat(attempts()).hasSize(4);
        assertThat(beta.calls()).hasSize(1);
    }

    @Test
    void shouldStartTheFallbackAtOnceWhenThePrimarysCircuitIsOpen() {
        EarlyCalls early = withFastFallback(true);
        h.breakers.open.add("alpha");
        h.submit(TopologyHarness.job("f3", "alpha/m1", "beta/m2"));
        h.run();

        assertThat(h.provider("alpha").calls()).isEmpty();
        assertThat(h.provider("beta").calls()).hasSize(1);
        assertThat(early.started()).isEqualTo(1);
        assertThat(early.adopted()).isEqualTo(1);
        assertThat(attempts())
                .extracting(AttemptRecord::getDecision)
                .containsExactly(Decision.SKIPPED_CIRCUIT_OPEN, Decision.RETURNED);
        assertThat(onlyResult("f3").getProvider()).isEqualTo("beta");
    }

    @Test
    void shouldCallTheFallbackOnceFromTheNextHopWhenThisInstanceDoesNotOwnIt() {
        EarlyCalls early = withFastFallback(false);
        h.provider("alpha").answer(c -> fail(FailureClass.TRANSIENT, 500, "server_error", "boom"));
        h.submit(TopologyHarness.job("f2", "alpha/m1", "beta/m2"));
        h.run();

        assertThat(h.provider("beta").calls()).hasSize(1);
        assertThat(early.started()).isZero();
        assertThat(onlyResult("f2").getProvider()).isEqualTo("beta");
    }

    private static dev.relay.processor.provider.ChatCall call(String id) {
        return new dev.relay.processor.provider.ChatCall(
                id, "m", null, java.util.Optional.empty(), null, Instant.now());
    }

    private static String header(Header header) {
        assertThat(header).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Restarts the harness with fast fallback on; {@code ownsNextHop}: whether this instance owns every next hop. */
    private EarlyCalls withFastFallback(boolean ownsNextHop) {
        h.close();
        EarlyCalls early = new EarlyCalls(true, (hop, key) -> ownsNextHop);
        h = new TopologyHarness(registry, stateDir, null, early);
        return early;
    }
}
