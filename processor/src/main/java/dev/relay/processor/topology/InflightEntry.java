package dev.relay.processor.topology;

import dev.relay.schemas.Job;
import java.util.List;

/**
 * What the in-flight store holds per job id while the job is on this hop: the job (its {@code attempts} list already
 * carries every attempt so far), how many attempts were made on this hop's target, when the next one may start
 * (retry backoff, epoch millis; 0 = now), the keys this job must not use again (AUTH) or should avoid next (rotation
 * after a 429/402), and how many times a new owner of the hop's task restored the entry while a call of it may have
 * been running (a crash or a rebalance).
 *
 * <p>A restored call is issued again under a new attempt number ({@link #attemptNumber}): the lost call may have
 * written chunks to {@code relay.stream} under its own number, and the re-issue's chunks and audit record must not be
 * mistaken for them. The retry budget still counts only attempts that ended ({@code attemptsOnTarget}).
 */
record InflightEntry(Job job, int attemptsOnTarget, long notBefore, List<String> excludedKeys, int restarts) {

    InflightEntry {
        excludedKeys = List.copyOf(excludedKeys);
    }

    InflightEntry(Job job, int attemptsOnTarget, long notBefore, List<String> excludedKeys) {
        this(job, attemptsOnTarget, notBefore, excludedKeys, 0);
    }

    static InflightEntry fresh(Job job) {
        return new InflightEntry(job, 0, 0L, List.of(), 0);
    }

    /** The number of the next call on this hop's target (1 for the first): past the attempts that ended or were lost. */
    int attemptNumber() {
        return attemptsOnTarget + restarts + 1;
    }

    /** The entry as a new owner of the task restores it: a call that may have been running is numbered past it. */
    InflightEntry restored() {
        return new InflightEntry(job, attemptsOnTarget, notBefore, excludedKeys, restarts + 1);
    }

    /** The entry after attempt {@link #attemptNumber} ended and the job waits to retry the same target. */
    InflightEntry retried(Job recorded, long retryAt, List<String> excluded) {
        return new InflightEntry(recorded, attemptsOnTarget + 1, retryAt, excluded, restarts);
    }
}
