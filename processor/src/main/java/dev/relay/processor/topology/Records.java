package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the records the topology writes: audit records, results, failed jobs, next-hop jobs. */
final class Records {

    private Records() {}

    static AttemptSummary summary(Attempt a, Decision decision, int generation) {
        return AttemptSummary.newBuilder()
                .setHop(a.hop())
                .setAttempt(a.number())
                .setProvider(a.provider())
                .setModel(a.model())
                .setKeyName(a.keyName())
                .setOutcome(a.outcome())
                .setHttpStatus(a.httpStatus())
                .setErrorType(a.errorType())
                .setErrorCode(a.errorCode())
                .setErrorMessage(a.errorMessage())
                .setStartedAt(Instant.ofEpochMilli(a.startedAt()))
                .setLatencyMs(a.latencyMs())
                .setDecision(decision)
                .setReplayGeneration(generation)
                .setServiceTier(a.tier().serviceTier())
                .setProviderBatchId(a.tier().providerBatchId())
                .build();
    }

    static AttemptRecord audit(Job job, Attempt a, Decision decision) {
        AttemptOutcome.Usage u = a.usage() == null ? AttemptOutcome.Usage.NONE : a.usage();
        return AttemptRecord.newBuilder()
                .setJobId(job.getJobId())
                .setHop(a.hop())
                .setAttempt(a.number())
                .setProvider(a.provider())
                .setModel(a.model())
                .setKeyName(a.keyName())
                .setStartedAt(Instant.ofEpochMilli(a.startedAt()))
                .setEndedAt(Instant.ofEpochMilli(a.startedAt() + a.latencyMs()))
                .setLatencyMs(a.latencyMs())
                .setOutcome(a.outcome())
                .setHttpStatus(a.httpStatus())
                .setErrorType(a.errorType())
                .setErrorCode(a.errorCode())
                .setErrorMessage(a.errorMessage())
                .setPromptTokens(u.promptTokens())
                .setCompletionTokens(u.completionTokens())
                .setTotalTokens(u.totalTokens())
                .setDecision(decision)
                .setReplayGeneration(job.getReplayGeneration())
                .setTenant(job.getTenant())
                .setBatchId(job.getBatchId())
                .setServiceTier(a.tier().serviceTier())
                .setProviderBatchId(a.tier().providerBatchId())
                .build();
    }

    static Job withAttempt(Job job, AttemptSummary s) {
        List<AttemptSummary> all = new ArrayList<>(job.getAttempts());
        all.add(s);
        return Job.newBuilder(job).setAttempts(all).build();
    }

    static Job nextHop(Job job) {
        return Job.newBuilder(job).setHop(job.getHop() + 1).build();
    }

    static JobResult succeeded(Job job, String completionJson, int hop, long now) {
        var target = job.getChain().get(hop);
        return base(job, now)
                .setStatus(JobStatus.SUCCEEDED)
                .setResponseJson(completionJson)
                .setProvider(target.getProvider())
                .setModel(target.getModel())
                .setHop(hop)
                .build();
    }

    static JobResult failed(Job job, ErrorInfo error, long now) {
        var primary = job.getChain().get(0);
        return base(job, now)
                .setStatus(JobStatus.FAILED)
                .setError(error)
                .setProvider(primary.getProvider())
                .setModel(primary.getModel())
                .setHop(0)
                .build();
    }

    static FailedJob failedJob(Job job, String reason, ErrorInfo error, OutcomeClass finalOutcome, long now) {
        Job asSubmitted = Job.newBuilder(job).setHop(0).build();
        return FailedJob.newBuilder()
                .setJob(asSubmitted)
                .setAttempts(job.getAttempts())
                .setTerminalReason(reason)
                .setFinalOutcome(finalOutcome)
                .setError(error)
                .setFailedAt(Instant.ofEpochMilli(now))
                .build();
    }

    private static JobResult.Builder base(Job job, long now) {
        return JobResult.newBuilder()
                .setJobId(job.getJobId())
                .setSubmittedAt(job.getSubmittedAt())
                .setCompletedAt(Instant.ofEpochMilli(now))
                .setTotalLatencyMs(Math.max(0, now - job.getSubmittedAt().toEpochMilli()))
                // attempts lists every generation's tries; the count is this generation's
                .setAttemptCount((int) job.getAttempts().stream()
                        .filter(a -> a.getReplayGeneration() == job.getReplayGeneration())
                        .count())
                .setAttempts(job.getAttempts())
                .setReplayGeneration(job.getReplayGeneration())
                .setTenant(job.getTenant())
                .setBatchId(job.getBatchId())
                .setCustomId(job.getCustomId())
                .setCallbackUrl(job.getCallbackUrl())
                .setMetadata(job.getMetadata());
    }
}
