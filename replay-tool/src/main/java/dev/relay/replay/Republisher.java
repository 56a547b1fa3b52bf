package dev.relay.replay;

import dev.relay.schemas.Job;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the replays to relay.jobs in transactions of at most {@code commitEvery} jobs (or one second of work).
 * The producer's transactional id is fixed per topic prefix, so {@link #open()} fences any other replay run on the
 * same topics, including one that was killed with a transaction open: its uncommitted jobs are aborted and never
 * reach a read_committed reader such as the processor. The caller opens the producer BEFORE it reads the log for
 * generations already replayed; after that no other run can commit, so what it read stays true while it writes.
 */
public final class Republisher implements AutoCloseable {

    /** What the run committed: job id to the generation written. */
    public record Outcome(Map<String, Integer> committed) {}

    private static final Logger log = LoggerFactory.getLogger(Republisher.class);

    private final Supplier<Producer<String, byte[]>> producers;
    private final RelaySerdes serdes;
    private final Topics topics;
    private final int commitEvery;
    private final double rate;
    private final long haltAfter;
    private Producer<String, byte[]> producer;
    private final Map<String, Integer> committed = new HashMap<>();

    /**
     * @param rate jobs per second, 0 for no limit
     * @param haltAfter test hook: after this many sends, stop as if killed (no commit, no abort); 0 to disable
     */
    public Republisher(
            Supplier<Producer<String, byte[]>> producers,
            RelaySerdes serdes,
            Topics topics,
            int commitEvery,
            double rate,
            long haltAfter) {
        this.producers = producers;
        this.serdes = serdes;
        this.topics = topics;
        this.commitEvery = commitEvery;
        this.rate = rate;
        this.haltAfter = haltAfter;
    }

    /** Creates the producer and fences earlier runs (initTransactions). */
    public void open() {
        producer = producers.get();
        try {
            producer.initTransactions();
        } catch (TimeoutException e) {
            close();
            throw ReplayException.unreachable(
                    "the broker's transaction coordinator did not answer: " + e.getMessage(), e);
        }
    }

    /** What was committed so far, also after a failed or interrupted publish. */
    public Map<String, Integer> committed() {
        return Map.copyOf(committed);
    }

    public Outcome publish(List<Plan.Replay> replays, ReplayOrigin origin, Progress progress) {
        List<Plan.Replay> pending = new ArrayList<>();
        long started = System.nanoTime();
        long txnStarted = 0;
        long sent = 0;
        try {
            for (Plan.Replay replay : replays) {
                pace(started, sent);
                if (pending.isEmpty()) {
                    producer.beginTransaction();
                    txnStarted = System.nanoTime();
                }
                Job job = origin.rewrite(
                        new Plan.Replay(replay.candidate().resolve(serdes), replay.newGeneration(), replay.chain()));
                producer.send(new ProducerRecord<>(
                        topics.jobs(), job.getJobId(), serdes.job().serialize(topics.jobs(), job)));
                pending.add(replay);
                sent++;
                if (haltAfter > 0 && sent >= haltAfter) {
                    halt(sent);
                }
                if (pending.size() >= commitEvery || System.nanoTime() - txnStarted > 1_000_000_000L) {
                    commit(pending, progress);
                }
                if (Thread.currentThread().isInterrupted()) {
                    producer.abortTransaction();
                    throw new ReplayInterrupted("interrupted after " + committed.size() + " committed replays");
                }
            }
            if (!pending.isEmpty()) {
                commit(pending, progress);
            }
        } catch (TimeoutException e) {
            throw ReplayException.unreachable(
                    "the broker did not answer while publishing (" + committed.size()
                            + " replays committed, the rest aborted): " + e.getMessage(),
                    e);
        } catch (KafkaException e) {
            abortQuietly();
            throw ReplayException.unreachable(
                    "publishing failed (" + committed.size() + " replays committed, the rest aborted): "
                            + e.getMessage(),
                    e);
        }
        return new Outcome(Map.copyOf(committed));
    }

    private void commit(List<Plan.Replay> pending, Progress progress) {
        producer.commitTransaction();
        for (Plan.Replay r : pending) {
            committed.put(r.candidate().jobId(), r.newGeneration());
            progress.step();
        }
        log.debug("committed {} replays", pending.size());
        pending.clear();
    }

    /** Waits so that job {@code sent} goes out no earlier than {@code sent / rate} seconds after the start. */
    private void pace(long started, long sent) {
        if (rate <= 0) {
            return;
        }
        long due = started + (long) (sent * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            log.debug("abort after a failure failed too: {}", e.toString()); // fenced or closed: the broker aborts
        }
    }

    private void halt(long sent) {
        producer.flush(); // the records reach the log inside the open transaction, as in a real crash
        producer.close(Duration.ZERO);
        producer = null;
        throw new ReplayInterrupted("halted after " + sent + " sends (test hook --halt-after)");
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }

    /** The run stopped before it finished (interrupt or the test hook); what was committed stays committed. */
    public static final class ReplayInterrupted extends RuntimeException {
        ReplayInterrupted(String message) {
            super(message);
        }
    }
}
