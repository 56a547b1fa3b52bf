package dev.relay.processor.topology;

import dev.relay.schemas.Job;
import java.util.List;

/**
 * What the in-flight store holds per job id while the job is on this hop: the job (its {@code attempts} list already
 * carries every attempt so far), how many attempts were made on this hop's target, when the next one may start
 * (retry backoff, epoch millis; 0 = now), and the keys this job must not use again (AUTH) or should avoid next
 * (rotation after a 429/402).
 */
record InflightEntry(Job job, int attemptsOnTarget, long notBefore, List<String> excludedKeys) {

    InflightEntry {
        excludedKeys = List.copyOf(excludedKeys);
    }

    static InflightEntry fresh(Job job) {
        return new InflightEntry(job, 0, 0L, List.of());
    }
}
