package dev.relay.ingress.kafka;

import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingress's reader of {@code relay.stream}. One consumer thread reads this instance's partition from its end and
 * hands each record to the callers waiting for that job (the value is decoded only for jobs someone waits for), so
 * several ingress instances do not each read the whole chunk traffic: each reads its own partition. A resume reads the
 * partition its job names with a consumer of its own. No consumer group: partitions are assigned, offsets never
 * committed.
 */
public final class KafkaStreamSource implements StreamSource {

    private static final Logger log = LoggerFactory.getLogger(KafkaStreamSource.class);

    /** How long the broker may hold the reader's fetch when there is no chunk. */
    static final int FETCH_MAX_WAIT_MS = 100;

    private final Map<String, Object> props;
    private final AvroSerde<StreamChunk> serde;
    private final String topic;
    private final int partition;
    private final KafkaConsumer<String, byte[]> live;
    private final Map<String, List<LinkedBlockingQueue<ChunkRecord>>> waiting = new ConcurrentHashMap<>();
    private final Thread thread;
    private final AtomicLong read = new AtomicLong();
    private volatile boolean running = true;

    /** {@code configured} is {@code ingress.stream_partition}, or a negative number to pick one at random. */
    public KafkaStreamSource(
            Map<String, Object> clientProps, AvroSerde<StreamChunk> serde, String topic, int configured) {
        this.props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // The broker answers the parked fetch as soon as a chunk is appended, so this only bounds a missed wake-up. A 5
        // ms
        // wait made an idle ingress and its broker answer 200 empty fetches a second: about 10 % of a core with no
        // traffic (docs/streaming.md, "Latency"). kafka.properties may still set it.
        props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"); // chunks are not transactional
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.serde = serde;
        this.topic = topic;
        this.live = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        int partitions = live.partitionsFor(topic, Duration.ofSeconds(30)).size();
        this.partition = configured >= 0
                ? configured % partitions
                : ThreadLocalRandom.current().nextInt(partitions);
        TopicPartition tp = new TopicPartition(topic, partition);
        live.assign(List.of(tp));
        live.seekToEnd(List.of(tp));
        live.position(tp); // resolve the end now: a job subscribed after this returns is read from here on
        this.thread = Thread.ofPlatform().name("relay-stream-reader").daemon().start(this::run);
        log.info("reading {} partition {} (of {}) for this instance's streams", topic, partition, partitions);
    }

    @Override
    public int partition() {
        return partition;
    }

    /** Chunk records this instance's reader has read (of every job on its partition). */
    public long read() {
        return read.get();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : live.poll(Duration.ofMillis(100))) {
                    read.incrementAndGet();
                    List<LinkedBlockingQueue<ChunkRecord>> queues = r.key() == null ? null : waiting.get(r.key());
                    if (queues == null || queues.isEmpty()) {
                        continue;
                    }
                    ChunkRecord c = decode(r);
                    if (c != null) {
                        queues.forEach(q -> q.add(c));
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("the stream reader stopped; streaming callers of this instance get no more chunks", e);
        } finally {
            live.close(Duration.ofSeconds(2));
        }
    }

    private ChunkRecord decode(ConsumerRecord<String, byte[]> r) {
        try {
            return new ChunkRecord(r.offset(), serde.deserialize(r.topic(), r.value()));
        } catch (RuntimeException e) {
            log.warn("undecodable chunk at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
            return null;
        }
    }

    @Override
    public Subscription subscribe(String jobId) {
        LinkedBlockingQueue<ChunkRecord> queue = new LinkedBlockingQueue<>();
        waiting.compute(jobId, (k, list) -> {
            List<LinkedBlockingQueue<ChunkRecord>> l =
                    list == null ? new java.util.concurrent.CopyOnWriteArrayList<>() : list;
            l.add(queue);
            return l;
        });
        return new Subscription() {
            @Override
            public ChunkRecord poll(Duration timeout) throws InterruptedException {
                return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            }

            @Override
            public boolean caughtUp() {
                return queue.isEmpty();
            }

            @Override
            public void close() {
                waiting.computeIfPresent(jobId, (k, list) -> {
                    list.remove(queue);
                    return list.isEmpty() ? null : list;
                });
            }
        };
    }

    @Override
    public Subscription replay(String jobId, int replayPartition, long fromOffset, long fromTimeMs) {
        KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        TopicPartition tp = new TopicPartition(topic, replayPartition);
        try {
            c.assign(List.of(tp));
            long start = fromOffset;
            if (start < 0) {
                OffsetAndTimestamp at = c.offsetsForTimes(Map.of(tp, Math.max(0, fromTimeMs)), Duration.ofSeconds(10))
                        .get(tp);
                start = at != null
                        ? at.offset()
                        : c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
            }
            c.seek(tp, start);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return new Subscription() {
            private final java.util.ArrayDeque<ChunkRecord> buffered = new java.util.ArrayDeque<>();
            private long end = -1;

            @Override
            public ChunkRecord poll(Duration timeout) {
                if (buffered.isEmpty()) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(timeout)) {
                        if (jobId.equals(r.key())) {
                            ChunkRecord d = decode(r);
                            if (d != null) {
                                buffered.add(d);
                            }
                        }
                    }
                }
                return buffered.poll();
            }

            @Override
            public boolean caughtUp() {
                if (!buffered.isEmpty()) {
                    return false;
                }
                end = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
                return c.position(tp) >= end;
            }

            @Override
            public void close() {
                c.close(Duration.ofSeconds(1));
            }
        };
    }

    @Override
    public void close() {
        running = false;
        live.wakeup();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
