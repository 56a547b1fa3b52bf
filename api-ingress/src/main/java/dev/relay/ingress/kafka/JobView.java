package dev.relay.ingress.kafka;

import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.StreamSpec;
import dev.relay.schemas.Target;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What this ingress knows about jobs, fed from Kafka by {@link ViewConsumer} (and, for read-your-writes, by the
 * ingress itself right after a publish): the latest result per job id (from the compacted results topic, whole), and
 * for the idempotency window the accepted jobs (hop-0 topic), their attempts, and webhook delivery states. Sync
 * callers wait here for their job's result.
 */
public final class JobView {

    /** What the ingress keeps of an accepted job. */
    public record JobInfo(
            String jobId,
            String tenant,
            String idempotencyKey,
            String batchId,
            String customId,
            long submittedAt,
            int generation,
            List<Target> chain,
            String callbackUrl,
            Map<String, String> metadata,
            String requestFingerprint,
            StreamSpec stream) {

        static JobInfo of(Job j) {
            return new JobInfo(
                    j.getJobId(),
                    j.getTenant(),
                    j.getIdempotencyKey(),
                    j.getBatchId(),
                    j.getCustomId(),
                    j.getSubmittedAt().toEpochMilli(),
                    j.getReplayGeneration(),
                    List.copyOf(j.getChain()),
                    j.getCallbackUrl(),
                    Map.copyOf(j.getMetadata()),
                    j.getIdempotencyKey() == null ? null : fingerprintOf(j),
                    j.getStream());
        }
    }

    /**
     * What an Idempotency-Key's repeat must match: the request (messages and parameters) and the chain, hashed
     * (SHA-256 of their Avro encoding). Ids, times, callback and metadata are not part of it.
     */
    public static String fingerprintOf(Job job) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(job.getRequest().toByteBuffer());
            for (Target t : job.getChain()) {
                sha.update((t.getProvider() + "\u0000" + t.getModel() + "\u0000").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint job " + job.getJobId(), e);
        }
    }

    /** The request fingerprint of an accepted job that carried an Idempotency-Key, if this instance saw it. */
    public Optional<String> requestFingerprint(String jobId) {
        return Optional.ofNullable(jobs.get(jobId)).map(JobInfo::requestFingerprint);
    }

    /** Everything known about one job id. */
    public record JobState(
            String jobId,
            String status,
            Optional<JobInfo> job,
            Optional<JobResult> result,
            List<AttemptRecord> liveAttempts,
            Optional<String> webhookJson) {}

    private final Map<String, JobInfo> jobs = new ConcurrentHashMap<>();
    private final ResultStore results;
    private final Map<String, List<AttemptRecord>> attempts = new ConcurrentHashMap<>();
    private final Map<String, String> webhooks = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> batches = new ConcurrentHashMap<>();
    private final Map<String, String> idempotency = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<JobResult>> waiters = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration window;

    /** A view whose results are kept in memory (tests, tools). */
    public JobView(Clock clock, Duration window) {
        this(clock, window, ResultStore.inMemory());
    }

    public JobView(Clock clock, Duration window, ResultStore results) {
        this.clock = clock;
        this.window = window;
        this.results = results;
    }

    public void onJob(Job job) {
        if (job.getHop() != 0) {
            return;
        }
        JobInfo info = JobInfo.of(job);
        jobs.merge(info.jobId(), info, (old, neu) -> neu.generation() >= old.generation() ? neu : old);
        if (info.batchId() != null) {
            batches.computeIfAbsent(info.batchId(), b -> ConcurrentHashMap.newKeySet())
                    .add(info.jobId());
        }
        if (info.idempotencyKey() != null) {
            idempotency.putIfAbsent(idempotencyKey(info.tenant(), info.idempotencyKey()), info.jobId());
        }
    }

    public void onResult(JobResult result) {
        String id = result.getJobId();
        results.merge(result);
        CompletableFuture<JobResult> waiter = waiters.remove(id);
        if (waiter != null) {
            waiter.complete(result);
        }
    }

    public void onAttempt(AttemptRecord attempt) {
        attempts.computeIfAbsent(attempt.getJobId(), k -> new CopyOnWriteArrayList<>())
                .add(attempt);
    }

    public void onWebhookState(String jobId, String json) {
        if (json == null) {
            webhooks.remove(jobId);
        } else {
            webhooks.put(jobId, json);
        }
    }

    /** A future completed by the job's next result. Register it BEFORE publishing, so no result can slip past. */
    public CompletableFuture<JobResult> awaitResult(String jobId) {
        return waiters.computeIfAbsent(jobId, k -> new CompletableFuture<>());
    }

    /** Forgets a waiter whose job was never published. */
    public void dropWaiter(String jobId, CompletableFuture<JobResult> waiter) {
        waiters.remove(jobId, waiter);
    }

    public int pendingWaiters() {
        return waiters.size();
    }

    /** The job accepted under this tenant's Idempotency-Key within the window, if any. */
    public Optional<String> jobForIdempotencyKey(String tenant, String key) {
        return Optional.ofNullable(idempotency.get(idempotencyKey(tenant, key)));
    }

    public Optional<JobResult> result(String jobId) {
        return results.get(jobId);
    }

    public Optional<JobState> state(String jobId) {
        JobInfo job = jobs.get(jobId);
        JobResult result = results.get(jobId).orElse(null);
        if (job == null && result == null) {
            return Optional.empty();
        }
        int generation = job == null ? result.getReplayGeneration() : job.generation();
        List<AttemptRecord> live = attempts.getOrDefault(jobId, List.of());
        String status;
        if (result != null && result.getReplayGeneration() >= generation) {
            status = result.getStatus() == dev.relay.schemas.JobStatus.SUCCEEDED ? "succeeded" : "failed";
        } else if (live.stream().anyMatch(a -> a.getReplayGeneration() == generation)) {
            status = "running";
        } else {
            status = "queued";
        }
        return Optional.of(new JobState(
                jobId,
                status,
                Optional.ofNullable(job),
                Optional.ofNullable(result),
                List.copyOf(live),
                Optional.ofNullable(webhooks.get(jobId))));
    }

    /** Job ids of a batch, as far as this view knows them. */
    public Set<String> batch(String batchId) {
        Set<String> ids = new java.util.HashSet<>(results.batchMembers(batchId));
        ids.addAll(batches.getOrDefault(batchId, Set.of()));
        return Set.copyOf(ids);
    }

    /** Forgets accepted jobs and attempts older than the window (their results stay, in the result store). */
    public void prune() {
        long cutoff = clock.millis() - window.toMillis();
        List<String> old = new ArrayList<>();
        jobs.forEach((id, info) -> {
            if (info.submittedAt() < cutoff) {
                old.add(id);
            }
        });
        for (String id : old) {
            JobInfo info = jobs.remove(id);
            attempts.remove(id);
            if (info != null && info.batchId() != null && results.get(id).isPresent()) {
                // the result store lists it for its batch from now on
                batches.computeIfPresent(info.batchId(), (b, ids) -> {
                    ids.remove(id);
                    return ids.isEmpty() ? null : ids;
                });
            }
            if (info != null && info.idempotencyKey() != null) {
                idempotency.remove(idempotencyKey(info.tenant(), info.idempotencyKey()), id);
            }
        }
    }

    public long size() {
        return results.size() + jobs.size();
    }

    private static String idempotencyKey(String tenant, String key) {
        return (tenant == null ? "" : tenant) + '\u0000' + key;
    }
}
