package dev.relay.replay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one topic from a point in time to the end offsets captured when the scan starts, without a consumer group
 * (assign, not subscribe: nothing is committed and no group is joined). With a start time it seeks with
 * {@code offsetsForTimes}, so records before the window are never fetched. The partitions are split over up to
 * {@code threads} consumers that scan in parallel; one job id lives in one partition, so a visitor sees all records of
 * a job id on one thread, in log order. Visitors must be thread-safe across job ids.
 */
public final class TopicScanner {

    /** Receives each record read; returns whether it was decoded and whether it matched (for the stats). */
    public interface Visitor {
        Outcome visit(ConsumerRecord<String, byte[]> record);
    }

    public enum Outcome {
        SKIPPED,
        DECODED,
        MATCHED,
        UNDECODABLE
    }

    private static final Logger log = LoggerFactory.getLogger(TopicScanner.class);

    private final Supplier<Consumer<String, byte[]>> consumers;
    private final Duration timeout;
    private final int threads;

    public TopicScanner(Supplier<Consumer<String, byte[]>> consumers, Duration timeout) {
        this(consumers, timeout, 1);
    }

    public TopicScanner(Supplier<Consumer<String, byte[]>> consumers, Duration timeout, int threads) {
        this.consumers = consumers;
        this.timeout = timeout;
        this.threads = Math.max(1, threads);
    }

    public ScanStats scan(String topic, Instant from, Visitor visitor) {
        long started = System.nanoTime();
        List<TopicPartition> partitions;
        try (Consumer<String, byte[]> consumer = consumers.get()) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw ReplayException.usage("topic " + topic + " does not exist; check --topic-prefix "
                        + "(or kafka.topic_prefix in the config)");
            }
            partitions = infos.stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
        } catch (TimeoutException e) {
            throw timedOut(topic, e);
        }
        int n = Math.min(threads, partitions.size());
        List<List<TopicPartition>> groups = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < partitions.size(); i++) {
            groups.get(i % n).add(partitions.get(i));
        }
        long[] totals = new long[5];
        if (n == 1) {
            add(totals, scanGroup(topic, groups.get(0), from, visitor));
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(r, "relay-replay-scan");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<long[]>> parts = new ArrayList<>();
                for (List<TopicPartition> group : groups) {
                    parts.add(pool.submit(() -> scanGroup(topic, group, from, visitor)));
                }
                for (Future<long[]> part : parts) {
                    add(totals, part.get());
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Republisher.ReplayInterrupted("interrupted while scanning " + topic);
            } finally {
                pool.shutdownNow();
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        log.debug("scanned {}: {} records in {} ms on {} consumer(s)", topic, totals[1], millis, n);
        return new ScanStats(topic, partitions.size(), totals[0], totals[1], totals[2], totals[3], totals[4], millis);
    }

    private static void add(long[] totals, long[] part) {
        for (int i = 0; i < totals.length; i++) {
            totals[i] += part[i];
        }
    }

    /** Scans some partitions with one consumer; returns {skipped, read, decoded, matched, undecodable}. */
    private long[] scanGroup(String topic, List<TopicPartition> partitions, Instant from, Visitor visitor) {
        try (Consumer<String, byte[]> consumer = consumers.get()) {
            consumer.assign(partitions);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, timeout));
            long skipped = seek(consumer, partitions, from, begin, end);
            long read = 0;
            long decoded = 0;
            long matched = 0;
            long bad = 0;
            long lastProgress = System.nanoTime();
            long lastPositions = -1;
            while (!end.isEmpty()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (TopicPartition tp : records.partitions()) {
                    Long stop = end.get(tp);
                    for (ConsumerRecord<String, byte[]> r : records.records(tp)) {
                        if (stop == null || r.offset() >= stop) {
                            break; // written after the scan started
                        }
                        read++;
                        switch (visitor.visit(r)) {
                            case MATCHED -> {
                                decoded++;
                                matched++;
                            }
                            case DECODED -> decoded++;
                            case UNDECODABLE -> bad++;
                            case SKIPPED -> {}
                        }
                    }
                }
                // position() passes transaction markers and aborted records too, so it is the reliable end test
                long positions = 0;
                for (var it = end.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    long position = consumer.position(e.getKey(), timeout);
                    positions += position;
                    if (position >= e.getValue()) {
                        it.remove();
                    }
                }
                if (!records.isEmpty() || positions != lastPositions) {
                    lastProgress = System.nanoTime();
                    lastPositions = positions;
                }
                if (!end.isEmpty() && System.nanoTime() - lastProgress > timeout.toNanos()) {
                    throw ReplayException.unreachable(
                            "no records from " + topic + " for " + timeout.toSeconds() + " s while " + end.size()
                                    + " partition(s) were not read to the end",
                            null);
                }
            }
            return new long[] {skipped, read, decoded, matched, bad};
        } catch (TimeoutException e) {
            throw timedOut(topic, e);
        }
    }

    private ReplayException timedOut(String topic, TimeoutException e) {
        return ReplayException.unreachable(
                "the broker did not answer within " + timeout.toSeconds() + " s while reading " + topic + ": "
                        + e.getMessage(),
                e);
    }

    /** Seeks every partition to the window start; returns how many records that skipped. */
    private long seek(
            Consumer<String, byte[]> consumer,
            List<TopicPartition> partitions,
            Instant from,
            Map<TopicPartition, Long> begin,
            Map<TopicPartition, Long> end) {
        if (from == null) {
            consumer.seekToBeginning(partitions);
            end.entrySet().removeIf(e -> e.getValue() <= begin.get(e.getKey()));
            return 0;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, from.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
        long skipped = 0;
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp at = found.get(tp);
            long start = at == null ? end.get(tp) : at.offset(); // null: nothing at or after the time
            consumer.seek(tp, start);
            skipped += Math.max(0, start - begin.get(tp));
            if (start >= end.get(tp)) {
                end.remove(tp);
            }
        }
        return skipped;
    }
}
