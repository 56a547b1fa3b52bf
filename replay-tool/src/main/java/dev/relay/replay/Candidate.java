package dev.relay.replay;

import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.util.List;

/**
 * One failed job found in the log: from a {@code FailedJob} on relay.failed (carries the whole job) or, with
 * {@code --include-failed-results}, from a FAILED {@code JobResult} on relay.results (the job itself is then looked up
 * on relay.jobs). {@code job} is null until known. {@code attempts} are every attempt so far, of every generation.
 * A candidate read by the scan carries its FailedJob still encoded ({@code failedBytes}): only the filter fields are
 * decoded while scanning, the whole record only when it is republished ({@link #resolve}).
 */
public record Candidate(
        String jobId,
        int generation,
        Source source,
        String topic,
        int partition,
        long offset,
        long recordTimestamp,
        long submittedAt,
        OutcomeClass errorClass,
        String terminalReason,
        String errorMessage,
        String provider,
        String model,
        String tenant,
        String batchId,
        List<Target> chain,
        List<AttemptSummary> attempts,
        Job job,
        byte[] failedBytes) {

    public enum Source {
        FAILED,
        RESULT
    }

    static Candidate fromFailed(FailedJob f, String topic, int partition, long offset, long timestamp) {
        Job job = f.getJob();
        List<Target> chain = List.copyOf(job.getChain());
        Target primary = chain.isEmpty() ? new Target("", "") : chain.get(0);
        OutcomeClass cls =
                f.getFinalOutcome() != null ? f.getFinalOutcome() : f.getError().getOutcome();
        return new Candidate(
                job.getJobId(),
                job.getReplayGeneration(),
                Source.FAILED,
                topic,
                partition,
                offset,
                timestamp,
                job.getSubmittedAt().toEpochMilli(),
                cls,
                f.getTerminalReason(),
                f.getError() == null ? null : f.getError().getMessage(),
                primary.getProvider(),
                primary.getModel(),
                job.getTenant(),
                job.getBatchId(),
                chain,
                List.copyOf(f.getAttempts().isEmpty() ? job.getAttempts() : f.getAttempts()),
                job,
                null);
    }

    static Candidate fromResult(JobResult r, String topic, int partition, long offset, long timestamp) {
        OutcomeClass cls =
                r.getError() == null ? OutcomeClass.UNKNOWN : r.getError().getOutcome();
        return new Candidate(
                r.getJobId(),
                r.getReplayGeneration(),
                Source.RESULT,
                topic,
                partition,
                offset,
                timestamp,
                r.getSubmittedAt().toEpochMilli(),
                cls,
                "FAILED_RESULT",
                r.getError() == null ? null : r.getError().getMessage(),
                r.getProvider(),
                r.getModel(),
                r.getTenant(),
                r.getBatchId(),
                List.of(new Target(r.getProvider(), r.getModel())),
                List.copyOf(r.getAttempts()),
                null,
                null);
    }

    /** The same candidate with its job found on relay.jobs. */
    Candidate withJob(Job found) {
        return new Candidate(
                jobId,
                generation,
                source,
                topic,
                partition,
                offset,
                recordTimestamp,
                submittedAt,
                errorClass,
                terminalReason,
                errorMessage,
                provider,
                model,
                tenant,
                batchId,
                List.copyOf(found.getChain()),
                attempts.isEmpty() ? List.copyOf(found.getAttempts()) : attempts,
                found,
                null);
    }

    /** A scanned candidate whose encoded FailedJob is kept for later. */
    Candidate withFailedBytes(byte[] bytes) {
        return new Candidate(
                jobId,
                generation,
                source,
                topic,
                partition,
                offset,
                recordTimestamp,
                submittedAt,
                errorClass,
                terminalReason,
                errorMessage,
                provider,
                model,
                tenant,
                batchId,
                chain,
                attempts,
                job,
                bytes);
    }

    /** Whether the job itself is at hand (decoded, or still encoded). */
    boolean hasJob() {
        return job != null || failedBytes != null;
    }

    /** This candidate with its whole FailedJob decoded (job and attempts), if it was kept encoded. */
    Candidate resolve(dev.relay.schemas.serde.RelaySerdes serdes) {
        if (job != null || failedBytes == null) {
            return this;
        }
        return fromFailed(serdes.failed().deserialize(topic, failedBytes), topic, partition, offset, recordTimestamp);
    }

    /** Whether this candidate should replace {@code other} for the same job id: the latest generation wins. */
    boolean supersedes(Candidate other) {
        if (generation != other.generation) {
            return generation > other.generation;
        }
        if (source != other.source) {
            return source == Source.FAILED; // it carries the whole job
        }
        return recordTimestamp >= other.recordTimestamp;
    }
}
