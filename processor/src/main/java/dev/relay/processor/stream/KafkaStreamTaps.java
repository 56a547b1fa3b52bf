package dev.relay.processor.stream;

import dev.relay.schemas.Job;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes streaming calls' chunks to {@code relay.stream} with a plain idempotent producer (acks=all, a small linger),
 * outside the processor's transaction: a chunk must reach the caller in milliseconds, not at the next commit, and it
 * is a view, not the record of truth. Each job's chunks go to the partition its StreamSpec names (the one its
 * ingress instance reads).
 */
public final class KafkaStreamTaps implements StreamTaps, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaStreamTaps.class);

    /** Deltas are merged when they come faster than this (one record per window and call at most). */
    public static final Duration DEFAULT_COALESCE_WINDOW = Duration.ofMillis(5);

    public static final int DEFAULT_LINGER_MS = 1;

    private final KafkaProducer<String, StreamChunk> producer;
    private final String topic;
    private final int partitions;
    private final long windowNanos;
    private final ScheduledExecutorService timer;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public KafkaStreamTaps(
            Map<String, Object> clientProps, AvroSerde<StreamChunk> serde, String topic, Duration window) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, DEFAULT_LINGER_MS);
        p.put(
                ProducerConfig.CLIENT_ID_CONFIG,
                "relay-stream-chunks-" + UUID.randomUUID().toString().substring(0, 8));
        this.producer = new KafkaProducer<>(p, new StringSerializer(), serde.serializer());
        this.topic = topic;
        this.partitions = producer.partitionsFor(topic).size();
        this.windowNanos = window.toNanos();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-stream-coalesce");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public ChunkTap open(Job job, int hop, int attempt, String provider, String model) {
        if (job.getStream() == null) {
            return null;
        }
        int partition = Math.floorMod(job.getStream().getReplyPartition(), partitions);
        String callId = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        return new StreamTap(
                job,
                hop,
                attempt,
                callId,
                provider,
                model,
                job.getStream().getBuffered(),
                windowNanos,
                chunk -> send(partition, chunk),
                (nanos, task) -> timer.schedule(task, nanos, TimeUnit.NANOSECONDS),
                System::nanoTime);
    }

    private void send(int partition, StreamChunk chunk) {
        producer.send(new ProducerRecord<>(topic, partition, chunk.getJobId(), chunk), (meta, error) -> {
            if (error == null) {
                written.incrementAndGet();
            } else {
                failed.incrementAndGet();
                log.warn(
                        "chunk {} of job {} not written to {}: {}",
                        chunk.getSeq(),
                        chunk.getJobId(),
                        topic,
                        error.toString());
            }
        });
    }

    /** Chunk records written so far. */
    public long written() {
        return written.get();
    }

    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }
}
