package dev.relay.testkit.schemas;

import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Message;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** One fully populated instance of each Relay record, for round trips. */
final class SampleRecords {

    static final Instant T0 = Instant.parse("2026-11-24T21:00:00.123Z");

    private SampleRecords() {}

    static Job job(String jobId) {
        return Job.newBuilder()
                .setJobId(jobId)
                .setSubmittedAt(T0)
                .setIdempotencyKey("idem-1")
                .setTenant("acme")
                .setBatchId("batch-7")
                .setCustomId("row-42")
                .setRequest(ChatRequest.newBuilder()
                        .setMessages(List.of(
                                Message.newBuilder()
                                        .setRole("system")
                                        .setContent(List.of(ContentPart.newBuilder()
                                                .setType("text")
                                                .setText("Be brief.")
                                                .build()))
                                        .build(),
                                Message.newBuilder()
                                        .setRole("user")
                                        .setContentIsString(false)
                                        .setContent(List.of(
                                                ContentPart.newBuilder()
                                                        .setType("text")
                                                        .setText("What is this? é✓")
                                                        .build(),
                                                ContentPart.newBuilder()
                                                        .setType("image_url")
                                                        .setImageUrl("https://example.com/cat.png")
                                                        .setImageDetail("low")
                                                        .build()))
                                        .build()))
                        .setTemperature(0.2)
                        .setMaxTokens(64)
                        .setStop(List.of("\n\n"))
                        .setSeed(7L)
                        .setExtensionJson("{\"logprobs\":true}")
                        .build())
                .setChain(List.of(new Target("openai", "gpt-4o-mini"), new Target("anthropic", "claude-3-5-haiku")))
                .setHop(1)
                .setAttempts(List.of(summary()))
                .setCallbackUrl("https://hooks.example.com/relay")
                .setDeadline(T0.plus(5, ChronoUnit.MINUTES))
                .setReplayGeneration(2)
                .setOrigin("batch")
                .setMetadata(Map.of("team", "search"))
                .build();
    }

    static AttemptSummary summary() {
        return AttemptSummary.newBuilder()
                .setHop(0)
                .setAttempt(1)
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .setKeyName("primary")
                .setOutcome(OutcomeClass.RATE_LIMITED)
                .setHttpStatus(429)
                .setErrorType("rate_limit_error")
                .setErrorCode("rate_limit_exceeded")
                .setErrorMessage("slow down")
                .setStartedAt(T0)
                .setLatencyMs(120)
                .setDecision(Decision.NEXT_HOP)
                .build();
    }

    static AttemptRecord attempt(String jobId) {
        return AttemptRecord.newBuilder()
                .setJobId(jobId)
                .setHop(0)
                .setAttempt(1)
                .setProvider("openai")
                .setModel("gpt-4o-mini")
                .setKeyName("primary")
                .setStartedAt(T0)
                .setEndedAt(T0.plusMillis(120))
                .setLatencyMs(120)
                .setOutcome(OutcomeClass.RATE_LIMITED)
                .setHttpStatus(429)
                .setErrorType("rate_limit_error")
                .setErrorMessage("slow down")
                .setPromptTokens(10)
                .setCompletionTokens(0)
                .setTotalTokens(10)
                .setDecision(Decision.NEXT_HOP)
                .setReplayGeneration(1)
                .setTenant("acme")
                .setBatchId("batch-7")
                .build();
    }

    static ErrorInfo error() {
        return ErrorInfo.newBuilder()
                .setHttpStatus(429)
                .setType("rate_limit_error")
                .setCode("rate_limit_exceeded")
                .setMessage("slow down")
                .setOutcome(OutcomeClass.RATE_LIMITED)
                .build();
    }

    static JobResult result(String jobId) {
        return JobResult.newBuilder()
                .setJobId(jobId)
                .setStatus(JobStatus.SUCCEEDED)
                .setResponseJson("{\"id\":\"chatcmpl-1\",\"choices\":[]}")
                .setProvider("anthropic")
                .setModel("claude-3-5-haiku")
                .setHop(1)
                .setSubmittedAt(T0)
                .setCompletedAt(T0.plusMillis(900))
                .setTotalLatencyMs(900)
                .setAttemptCount(2)
                .setAttempts(List.of(summary()))
                .setTenant("acme")
                .setMetadata(Map.of("k", "v"))
                .build();
    }

    static FailedJob failed(String jobId) {
        return FailedJob.newBuilder()
                .setJob(job(jobId))
                .setAttempts(List.of(summary(), summary()))
                .setTerminalReason("CHAIN_EXHAUSTED")
                .setFinalOutcome(OutcomeClass.RATE_LIMITED)
                .setError(error())
                .setFailedAt(T0.plusSeconds(3))
                .build();
    }
}
