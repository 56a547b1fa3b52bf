package dev.relay.replay;

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
import java.util.List;

/** Builds real Relay records for tests. */
final class TestRecords {

    private TestRecords() {}

    static Job job(String id, int generation, String tenant, String batchId, List<Target> chain, Instant submitted) {
        ChatRequest request = ChatRequest.newBuilder()
                .setMessages(List.of(Message.newBuilder()
                        .setRole("user")
                        .setContent(List.of(ContentPart.newBuilder()
                                .setType("text")
                                .setText("hello " + id)
                                .build()))
                        .build()))
                .build();
        return Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(submitted)
                .setTenant(tenant)
                .setBatchId(batchId)
                .setRequest(request)
                .setChain(chain)
                .setReplayGeneration(generation)
                .setOrigin("http")
                .build();
    }

    static AttemptSummary attempt(Target t, int hop, OutcomeClass outcome, int generation, Instant at) {
        return AttemptSummary.newBuilder()
                .setHop(hop)
                .setAttempt(1)
                .setProvider(t.getProvider())
                .setModel(t.getModel())
                .setOutcome(outcome)
                .setHttpStatus(500)
                .setStartedAt(at)
                .setLatencyMs(12)
                .setDecision(Decision.NEXT_HOP)
                .setReplayGeneration(generation)
                .build();
    }

    static FailedJob failed(Job job, OutcomeClass outcome, Instant at) {
        List<AttemptSummary> attempts = job.getChain().stream()
                .map(t -> attempt(t, job.getChain().indexOf(t), outcome, job.getReplayGeneration(), at))
                .toList();
        return FailedJob.newBuilder()
                .setJob(job)
                .setAttempts(attempts)
                .setTerminalReason("CHAIN_EXHAUSTED")
                .setFinalOutcome(outcome)
                .setError(ErrorInfo.newBuilder()
                        .setHttpStatus(500)
                        .setMessage("upstream failed")
                        .setOutcome(outcome)
                        .build())
                .setFailedAt(at)
                .build();
    }

    static JobResult result(Job job, JobStatus status, OutcomeClass outcome, Instant at) {
        Target primary = job.getChain().get(0);
        return JobResult.newBuilder()
                .setJobId(job.getJobId())
                .setStatus(status)
                .setError(
                        status == JobStatus.FAILED
                                ? ErrorInfo.newBuilder()
                                        .setHttpStatus(500)
                                        .setMessage("upstream failed")
                                        .setOutcome(outcome)
                                        .build()
                                : null)
                .setResponseJson(status == JobStatus.SUCCEEDED ? "{\"choices\":[]}" : null)
                .setProvider(primary.getProvider())
                .setModel(primary.getModel())
                .setHop(0)
                .setSubmittedAt(job.getSubmittedAt())
                .setCompletedAt(at)
                .setTotalLatencyMs(5)
                .setAttemptCount(1)
                .setReplayGeneration(job.getReplayGeneration())
                .setTenant(job.getTenant())
                .setBatchId(job.getBatchId())
                .build();
    }

    static List<Target> chain(String... targets) {
        return java.util.Arrays.stream(targets)
                .map(s -> {
                    int slash = s.indexOf('/');
                    return new Target(s.substring(0, slash), s.substring(slash + 1));
                })
                .toList();
    }
}
