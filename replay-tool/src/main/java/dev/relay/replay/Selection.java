package dev.relay.replay;

import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the failed jobs that match: reads relay.failed (and, if asked, FAILED results on relay.results) inside the
 * time window, filters, and keeps one candidate per job id (the latest generation). Records whose value cannot be
 * decoded are counted and logged, never fatal: one bad record must not stop a recovery.
 */
public final class Selection {

    /** What the selection found, with the stats of each topic read and the candidates it dropped as superseded. */
    public record Result(List<Candidate> candidates, List<Candidate> superseded, List<ScanStats> scans) {}

    private static final Logger log = LoggerFactory.getLogger(Selection.class);
    private static final Comparator<Candidate> IN_LOG_ORDER = Comparator.comparingLong(Candidate::recordTimestamp)
            .thenComparing(Candidate::topic)
            .thenComparingInt(Candidate::partition)
            .thenComparingLong(Candidate::offset);

    private final TopicScanner scanner;
    private final RelaySerdes serdes;
    private final Topics topics;

    public Selection(TopicScanner scanner, RelaySerdes serdes, Topics topics) {
        this.scanner = scanner;
        this.serdes = serdes;
        this.topics = topics;
    }

    public Result select(Instant since, Instant until, JobFilter filter, boolean includeFailedResults) {
        // scanned by several threads; one job id is always on the same one (same key, same partition)
        Map<String, Candidate> latest = new ConcurrentHashMap<>();
        List<Candidate> superseded = Collections.synchronizedList(new ArrayList<>());
        List<ScanStats> scans = new ArrayList<>();
        Undecodable undecodable = new Undecodable(log);
        ThreadLocal<FailedJobProbe> probes = ThreadLocal.withInitial(() -> new FailedJobProbe(serdes.registry()));
        scans.add(scanner.scan(
                topics.failed(),
                since,
                r -> visit(
                        r,
                        since,
                        until,
                        filter,
                        latest,
                        superseded,
                        () -> {
                            Candidate light =
                                    probes.get().probe(r.topic(), r.partition(), r.offset(), r.timestamp(), r.value());
                            // the whole record (mostly the prompt) is decoded only if it is republished
                            return filter.matches(light) ? light.withFailedBytes(r.value()) : null;
                        },
                        undecodable)));
        if (includeFailedResults) {
            scans.add(scanner.scan(
                    topics.results(),
                    since,
                    r -> visit(
                            r,
                            since,
                            until,
                            filter,
                            latest,
                            superseded,
                            () -> {
                                JobResult res = serdes.result().deserialize(r.topic(), r.value());
                                return res.getStatus() == JobStatus.FAILED
                                        ? Candidate.fromResult(res, r.topic(), r.partition(), r.offset(), r.timestamp())
                                        : null;
                            },
                            undecodable)));
        }
        List<Candidate> candidates = new ArrayList<>(latest.values());
        candidates.sort(IN_LOG_ORDER);
        List<Candidate> older = new ArrayList<>(superseded);
        older.sort(IN_LOG_ORDER);
        return new Result(List.copyOf(candidates), List.copyOf(older), List.copyOf(scans));
    }

    private interface Decoder {
        Candidate decode();
    }

    private static TopicScanner.Outcome visit(
            ConsumerRecord<String, byte[]> r,
            Instant since,
            Instant until,
            JobFilter filter,
            Map<String, Candidate> latest,
            Collection<Candidate> superseded,
            Decoder decoder,
            Undecodable undecodable) {
        if (r.value() == null || !filter.keyMayMatch(r.key()) || !inWindow(r.timestamp(), since, until)) {
            return TopicScanner.Outcome.SKIPPED;
        }
        Candidate c;
        try {
            c = decoder.decode();
        } catch (RuntimeException e) {
            undecodable.report(r, e);
            return TopicScanner.Outcome.UNDECODABLE;
        }
        if (c == null || !filter.matches(c)) {
            return TopicScanner.Outcome.DECODED;
        }
        Candidate previous = latest.get(c.jobId());
        Candidate loser = null;
        if (previous == null || c.supersedes(previous)) {
            latest.put(c.jobId(), c);
            loser = previous;
        } else {
            loser = c;
        }
        // the FailedJob and the FAILED result of one generation are the same failure, not an older one
        if (loser != null && loser.generation() < latest.get(c.jobId()).generation()) {
            superseded.add(loser);
        }
        return TopicScanner.Outcome.MATCHED;
    }

    static boolean inWindow(long timestamp, Instant since, Instant until) {
        return (since == null || timestamp >= since.toEpochMilli())
                && (until == null || timestamp < until.toEpochMilli());
    }
}
