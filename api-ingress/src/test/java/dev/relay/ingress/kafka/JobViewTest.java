package dev.relay.ingress.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.ingress.TestResults;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Decision;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class JobViewTest {

    private final Instant now = Instant.parse("2026-11-24T12:00:00Z");
    private final JobView view = new JobView(Clock.fixed(now, ZoneOffset.UTC), Duration.ofHours(24));

    private Job job(String id, int generation, Instant submitted, String key) {
        ChatRequest req = ChatRequest.newBuilder()
                .setMessages(List.of(Message.newBuilder()
                        .setRole("user")
                        .setContent(List.of(ContentPart.newBuilder()
                                .setType("text")
                                .setText("hi")
                                .build()))
                        .build()))
                .build();
        return Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(submitted)
                .setRequest(req)
                .setIdempotencyKey(key)
                .setTenant("t")
                .setChain(List.of(
                        Target.newBuilder().setProvider("openai").setModel("m").build(),
                        Target.newBuilder()
                                .setProvider("anthropic")
                                .setModel("c")
                                .build()))
                .setReplayGeneration(generation)
                .build();
    }

    private AttemptRecord attempt(String id, int generation) {
        return AttemptRecord.newBuilder()
                .setJobId(id)
                .setHop(0)
                .setAttempt(1)
                .setProvider("openai")
                .setModel("m")
                .setStartedAt(now)
                .setEndedAt(now)
                .setLatencyMs(1)
                .setOutcome(OutcomeClass.RATE_LIMITED)
                .setDecision(Decision.NEXT_HOP)
                .setReplayGeneration(generation)
                .build();
    }

    @Test
    void shouldMoveFromQueuedToRunningToSucceeded() {
        Job j = job("j1", 0, now, null);
        view.onJob(j);
        assertThat(view.state("j1").orElseThrow().status()).isEqualTo("queued");
        view.onAttempt(attempt("j1", 0));
        assertThat(view.state("j1").orElseThrow().status()).isEqualTo("running");
        view.onResult(TestResults.succeededAt(j, 1, 429));
        assertThat(view.state("j1").orElseThrow().status()).isEqualTo("succeeded");
        assertThat(view.state("nope")).isEmpty();
    }

    @Test
    void shouldShowAReplayAsRunningUntilItsOwnResultArrivesAndKeepTheLatestGeneration() {
        Job first = job("j2", 0, now, null);
        view.onJob(first);
        view.onResult(TestResults.failedAll(first, 429));
        Job replay = job("j2", 1, now, null);
        view.onJob(replay);
        assertThat(view.state("j2").orElseThrow().status()).isEqualTo("queued");
        view.onAttempt(attempt("j2", 1));
        assertThat(view.state("j2").orElseThrow().status()).isEqualTo("running");
        JobResult second = TestResults.succeededAt(replay, 1, 429);
        view.onResult(second);
        view.onResult(TestResults.failedAll(first, 429)); // a late, older generation does not win
        assertThat(view.state("j2").orElseThrow().status()).isEqualTo("succeeded");
        assertThat(view.result("j2").orElseThrow().getReplayGeneration()).isEqualTo(1);
    }

    @Test
    void shouldCompleteAWaiterRegisteredBeforeTheResultAndForgetIt() {
        CompletableFuture<JobResult> waiter = view.awaitResult("j3");
        assertThat(view.pendingWaiters()).isEqualTo(1);
        view.onResult(TestResults.succeededAt(job("j3", 0, now, null), 0, 429));
        assertThat(waiter).isCompleted();
        assertThat(view.pendingWaiters()).isZero();
    }

    @Test
    void shouldForgetIdempotencyKeysAndAcceptedJobsOlderThanTheWindow() {
        view.onJob(job("old", 0, now.minus(Duration.ofHours(25)), "k-old"));
        view.onJob(job("new", 0, now.minus(Duration.ofHours(1)), "k-new"));
        view.prune();
        assertThat(view.jobForIdempotencyKey("t", "k-old")).isEmpty();
        assertThat(view.jobForIdempotencyKey("t", "k-new")).contains("new");
        assertThat(view.jobForIdempotencyKey("other-tenant", "k-new")).isEmpty();
    }
}
