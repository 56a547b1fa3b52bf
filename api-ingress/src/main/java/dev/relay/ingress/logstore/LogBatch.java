package dev.relay.ingress.logstore;

import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What one poll brought, decoded, and the offsets to store with it (written in one transaction). */
public final class LogBatch {

    /** A record of the dead letter topic: only where it was and why, never its bytes. */
    public record DeadLetter(
            String topic, int partition, long offset, String key, long at, String headersJson, int sizeBytes) {}

    /** A JSON value of the webhooks or status topic, by key. */
    public record Keyed(String key, String json) {}

    final List<Job> jobs = new ArrayList<>();
    final List<AttemptRecord> attempts = new ArrayList<>();
    final List<JobResult> results = new ArrayList<>();
    final List<FailedJob> failed = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    final List<Keyed> webhooks = new ArrayList<>();
    final List<Keyed> statuses = new ArrayList<>();
    final Map<String, Map<Integer, Long>> offsets = new HashMap<>();

    public LogBatch job(Job j) {
        jobs.add(j);
        return this;
    }

    public LogBatch attempt(AttemptRecord a) {
        attempts.add(a);
        return this;
    }

    public LogBatch result(JobResult r) {
        results.add(r);
        return this;
    }

    public LogBatch failed(FailedJob f) {
        failed.add(f);
        return this;
    }

    public LogBatch deadLetter(DeadLetter d) {
        deadLetters.add(d);
        return this;
    }

    public LogBatch webhook(String jobId, String json) {
        webhooks.add(new Keyed(jobId, json));
        return this;
    }

    public LogBatch status(String key, String json) {
        statuses.add(new Keyed(key, json));
        return this;
    }

    /** The next offset to read on {@code topic}-{@code partition}, stored with the rows. */
    public LogBatch offset(String topic, int partition, long next) {
        offsets.computeIfAbsent(topic, t -> new HashMap<>()).put(partition, next);
        return this;
    }

    public int size() {
        return jobs.size()
                + attempts.size()
                + results.size()
                + failed.size()
                + deadLetters.size()
                + webhooks.size()
                + statuses.size();
    }

    public boolean isEmpty() {
        return size() == 0 && offsets.isEmpty();
    }
}
