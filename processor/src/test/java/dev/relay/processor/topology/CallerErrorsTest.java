package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallerErrorsTest {

    private static AttemptSummary attempt(int generation, int hop, OutcomeClass outcome, int status, String message) {
        return AttemptSummary.newBuilder()
                .setHop(hop)
                .setAttempt(1)
                .setProvider(hop == 0 ? "openai" : "anthropic")
                .setModel("m")
                .setOutcome(outcome)
                .setHttpStatus(status)
                .setErrorMessage(message)
                .setStartedAt(Instant.ofEpochMilli(1))
                .setLatencyMs(1)
                .setDecision(Decision.NEXT_HOP)
                .setReplayGeneration(generation)
                .build();
    }

    private static Job replayedJob(List<AttemptSummary> attempts) {
        return Job.newBuilder()
                .setJobId("job-1")
                .setSubmittedAt(Instant.ofEpochMilli(0))
                .setRequest(ChatRequest.newBuilder()
                        .setMessages(List.of(Message.newBuilder()
                                .setRole("user")
                                .setContent(List.of(ContentPart.newBuilder()
                                        .setType("text")
                                        .setText("hi")
                                        .build()))
                                .build()))
                        .build())
                .setChain(List.of(new Target("openai", "m"), new Target("anthropic", "m")))
                .setAttempts(attempts)
                .setReplayGeneration(1)
                .build();
    }

    @Test
    void shouldReturnThisGenerationsPrimaryErrorWhenAReplayFailsAgain() {
        Job job = replayedJob(List.of(
                attempt(0, 0, OutcomeClass.TRANSIENT, 500, "generation 0 primary"),
                attempt(0, 1, OutcomeClass.TRANSIENT, 503, "generation 0 fallback"),
                attempt(1, 0, OutcomeClass.RATE_LIMITED, 429, "generation 1 primary"),
                attempt(1, 1, OutcomeClass.TRANSIENT, 502, "generation 1 fallback")));

        ErrorInfo error = CallerErrors.callerError(job, null);

        assertThat(error.getMessage()).isEqualTo("generation 1 primary");
        assertThat(error.getHttpStatus()).isEqualTo(429);
    }

    @Test
    void shouldCountThisGenerationsAttemptsButListEveryGeneration() {
        Job job = replayedJob(List.of(
                attempt(0, 0, OutcomeClass.TRANSIENT, 500, "g0"), attempt(1, 0, OutcomeClass.RATE_LIMITED, 429, "g1")));

        JobResult result = Records.failed(job, CallerErrors.callerError(job, null), 10);

        assertThat(result.getAttempts()).hasSize(2);
        assertThat(result.getAttemptCount()).isEqualTo(1);
        assertThat(result.getReplayGeneration()).isEqualTo(1);
    }
}
