package dev.relay.replay;

import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the log says happened to the candidates after they failed: the highest replay generation of each job id on
 * relay.jobs (a replay already published), and the latest result on relay.results. Both topics are read from
 * the earliest submission time of the candidates (less a margin for clock skew) with {@code offsetsForTimes}: any
 * later generation of a job, and any later result, was written after its first submission. Only records whose key is
 * a candidate id are decoded.
 */
public final class LogHistory {

    /** The latest JobResult of a job: its status and generation. */
    public record LatestResult(JobStatus status, int generation) {}

    /** The per-job facts the planner needs. {@code jobs} holds, per id, the Job of each generation seen on relay.jobs. */
    public record Facts(
            Map<String, Integer> maxJobGeneration,
            Map<String, LatestResult> latestResult,
            Map<String, Map<Integer, Job>> jobs,
            List<ScanStats> scans) {

        public int maxGenerationSeen(String jobId) {
            int fromJobs = maxJobGeneration.getOrDefault(jobId, -1);
            LatestResult r = latestResult.get(jobId);
            return Math.max(fromJobs, r == null ? -1 : r.generation());
        }
    }

    static final Duration CLOCK_SKEW_MARGIN = Duration.ofMinutes(5);

    private static final Logger log = LoggerFactory.getLogger(LogHistory.class);

    private final TopicScanner scanner;
    private final RelaySerdes serdes;
    private final Topics topics;

    public LogHistory(TopicScanner scanner, RelaySerdes serdes, Topics topics) {
        this.scanner = scanner;
        this.serdes = serdes;
        this.topics = topics;
    }

    /** {@code needJobs}: the ids whose Job must be kept (candidates found only as a FAILED result). */
    public Facts read(Set<String> ids, Set<String> needJobs, Instant earliestSubmission) {
        Map<String, Integer> maxGen = new ConcurrentHashMap<>(); // filled by the scanner's threads
        Map<String, LatestResult> latest = new ConcurrentHashMap<>();
        Map<String, Map<Integer, Job>> jobs = new ConcurrentHashMap<>();
        if (ids.isEmpty()) {
            return new Facts(maxGen, latest, jobs, List.of());
        }
        Instant from = earliestSubmission.minus(CLOCK_SKEW_MARGIN);
        Undecodable undecodable = new Undecodable(log);
        ScanStats jobScan = scanner.scan(topics.jobs(), from, r -> {
            if (r.value() == null || !ids.contains(r.key())) {
                return TopicScanner.Outcome.SKIPPED;
            }
            try {
                Job job = serdes.job().deserialize(r.topic(), r.value());
                maxGen.merge(job.getJobId(), job.getReplayGeneration(), Math::max);
                if (needJobs.contains(job.getJobId())) {
                    jobs.computeIfAbsent(job.getJobId(), k -> new ConcurrentHashMap<>())
                            .putIfAbsent(job.getReplayGeneration(), job);
                }
                return TopicScanner.Outcome.MATCHED;
            } catch (RuntimeException e) {
                undecodable.report(r, e);
                return TopicScanner.Outcome.UNDECODABLE;
            }
        });
        ScanStats resultScan = scanner.scan(topics.results(), from, r -> {
            if (r.value() == null || !ids.contains(r.key())) {
                return TopicScanner.Outcome.SKIPPED;
            }
            try {
                JobResult res = serdes.result().deserialize(r.topic(), r.value());
                // same key, same partition: offset order is write order, so the last one read is the latest
                latest.merge(
                        res.getJobId(),
                        new LatestResult(res.getStatus(), res.getReplayGeneration()),
                        (old, now) -> now.generation() >= old.generation() ? now : old);
                return TopicScanner.Outcome.MATCHED;
            } catch (RuntimeException e) {
                undecodable.report(r, e);
                return TopicScanner.Outcome.UNDECODABLE;
            }
        });
        return new Facts(maxGen, latest, jobs, List.of(jobScan, resultScan));
    }
}
