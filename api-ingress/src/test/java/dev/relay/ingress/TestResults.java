package dev.relay.ingress;

import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the JobResults the processor would write, for tests of the ingress alone. */
public final class TestResults {

    private TestResults() {}

    public static String completion(String model, String text) {
        return "{\"id\":\"chatcmpl-test\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                + "\"total_tokens\":5}}";
    }

    /** The primary failed with {@code primaryStatus}, the target at {@code answeringHop} answered. */
    public static JobResult succeededAt(Job job, int answeringHop, int primaryStatus) {
        List<AttemptSummary> attempts = new ArrayList<>();
        for (int h = 0; h < answeringHop; h++) {
            attempts.add(
                    attempt(job.getChain().get(h), h, primaryStatus, OutcomeClass.RATE_LIMITED, Decision.NEXT_HOP));
        }
        Target t = job.getChain().get(answeringHop);
        attempts.add(attempt(t, answeringHop, 200, OutcomeClass.SUCCESS, Decision.RETURNED));
        return base(job, attempts, answeringHop)
                .setStatus(JobStatus.SUCCEEDED)
                .setResponseJson(completion(t.getModel(), "hello from " + t.getProvider()))
                .build();
    }

    /** Every target failed; the caller gets the primary's error. */
    public static JobResult failedAll(Job job, int primaryStatus) {
        List<AttemptSummary> attempts = new ArrayList<>();
        for (int h = 0; h < job.getChain().size(); h++) {
            attempts.add(attempt(
                    job.getChain().get(h),
                    h,
                    h == 0 ? primaryStatus : 503,
                    OutcomeClass.TRANSIENT,
                    h == job.getChain().size() - 1 ? Decision.GIVE_UP : Decision.NEXT_HOP));
        }
        ErrorInfo error = ErrorInfo.newBuilder()
                .setHttpStatus(primaryStatus)
                .setType("rate_limit_error")
                .setCode("rate_limit_exceeded")
                .setMessage("primary says slow down")
                .setOutcome(OutcomeClass.RATE_LIMITED)
                .build();
        return base(job, attempts, 0)
                .setStatus(JobStatus.FAILED)
                .setError(error)
                .build();
    }

    private static JobResult.Builder base(Job job, List<AttemptSummary> attempts, int hop) {
        Target t = job.getChain().get(hop);
        return JobResult.newBuilder()
                .setJobId(job.getJobId())
                .setProvider(t.getProvider())
                .setModel(t.getModel())
                .setHop(hop)
                .setSubmittedAt(job.getSubmittedAt())
                .setCompletedAt(Instant.now())
                .setTotalLatencyMs(7)
                .setAttemptCount(attempts.size())
                .setAttempts(attempts)
                .setReplayGeneration(job.getReplayGeneration())
                .setTenant(job.getTenant())
                .setBatchId(job.getBatchId())
                .setCustomId(job.getCustomId())
                .setCallbackUrl(job.getCallbackUrl())
                .setMetadata(job.getMetadata());
    }

    private static AttemptSummary attempt(Target t, int hop, int status, OutcomeClass outcome, Decision decision) {
        return AttemptSummary.newBuilder()
                .setHop(hop)
                .setAttempt(1)
                .setProvider(t.getProvider())
                .setModel(t.getModel())
                .setOutcome(outcome)
                .setHttpStatus(status)
                .setStartedAt(Instant.now())
                .setLatencyMs(1)
                .setDecision(decision)
                .build();
    }
}
