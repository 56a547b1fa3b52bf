package dev.relay.ingress.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * File bytes on the compacted files topic, in chunks of {@link #CHUNK_BYTES} keyed {@code <file id>/<n>}. All chunks of
 * a file go to one partition (chosen from the file id), in order (idempotent producer), so a reader seeks to the first
 * chunk's offset and reads forward, skipping other files' chunks, until it has them all. Compaction keeps every chunk
 * (each key is written once) until the file is deleted with one tombstone per chunk. The producer's bounded buffer
 * bounds the heap: an upload of any size holds a few megabytes at a time.
 */
public final class KafkaFileContents implements FileContents {

    /** Below the broker's default 1 MB message limit, with room for the record's overhead. */
    public static final int CHUNK_BYTES = 512 * 1024;

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, Object> clientProps;
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    public KafkaFileContents(Map<String, Object> clientProps, String topic) {
        this.clientProps = Map.copyOf(clientProps);
        this.topic = topic;
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, CHUNK_BYTES * 2);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, CHUNK_BYTES * 2);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 16L * 1024 * 1024);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, TIMEOUT.toMillis());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "relay-ingress-files");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private int partitionFor(String fileId) {
        int partitions = producer.partitionsFor(topic).size();
        return Utils.toPositive(Utils.murmur2(fileId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static String key(String fileId, int chunk) {
        return fileId + "/" + chunk;
    }

    @Override
    public Location write(String fileId, InputStream content) throws IOException {
        try {
            return send(fileId, content);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobPublisher.PublishException("interrupted while storing file " + fileId, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new JobPublisher.PublishException("the broker did not take file " + fileId + ": " + e, e);
        }
    }

    private Location send(String fileId, InputStream content)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        int partition = partitionFor(fileId);
        Future<RecordMetadata> first = null;
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        int chunk = 0;
        while (true) {
            byte[] bytes = content.readNBytes(CHUNK_BYTES);
            if (bytes.length == 0 && chunk > 0) {
                break;
            }
            Future<RecordMetadata> f = producer.send(new ProducerRecord<>(topic, partition, key(fileId, chunk), bytes));
            if (first == null) {
                first = f;
            }
            sends.add(f);
            chunk++;
            // check and forget acknowledged sends as we go, so a long file does not pile up futures
            for (var it = sends.iterator(); it.hasNext(); ) {
                Future<RecordMetadata> done = it.next();
                if (done.isDone() && done != first) {
                    done.get();
                    it.remove();
                }
            }
            if (bytes.length < CHUNK_BYTES) {
                break;
            }
        }
        long offset = first.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
        for (Future<RecordMetadata> f : sends) {
            f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        return new Location(partition, offset, chunk);
    }

    @Override
    public InputStream open(String fileId, Location location) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "relay-ingress-file-reader");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, CHUNK_BYTES * 4);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4);
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        TopicPartition tp = new TopicPartition(topic, location.partition());
        consumer.assign(List.of(tp));
        consumer.seek(tp, location.firstOffset());
        return new ChunkStream(consumer, fileId, location);
    }

    /** Reads a file's chunks one poll at a time: at most a few chunks are in the heap. */
    private static final class ChunkStream extends InputStream {
        private final KafkaConsumer<String, byte[]> consumer;
        private final String fileId;
        private final Location location;
        private final ArrayDeque<byte[]> ready = new ArrayDeque<>();
        private byte[] current = new byte[0];
        private int pos;
        private int next;
        private boolean closed;

        ChunkStream(KafkaConsumer<String, byte[]> consumer, String fileId, Location location) {
            this.consumer = consumer;
            this.fileId = fileId;
            this.location = location;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (ready.isEmpty() && !fetch()) {
                    return -1;
                }
                current = ready.poll();
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        private boolean fetch() throws IOException {
            if (next >= location.chunks()) {
                return false;
            }
            String prefix = fileId + "/";
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (ready.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("file " + fileId + ": chunk " + next + " of " + location.chunks()
                            + " not found within " + TIMEOUT);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !r.key().startsWith(prefix) || next >= location.chunks()) {
                        continue;
                    }
                    if (!r.key().equals(key(fileId, next)) || r.value() == null) {
                        throw new IOException("file " + fileId + ": expected chunk " + next + " at offset " + r.offset()
                                + ", found " + r.key() + (r.value() == null ? " (deleted)" : ""));
                    }
                    ready.add(r.value());
                    next++;
                }
            }
            return true;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                consumer.close(Duration.ofSeconds(2));
            }
        }
    }

    @Override
    public void delete(String fileId, Location location) {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (int i = 0; i < location.chunks(); i++) {
            sends.add(producer.send(new ProducerRecord<>(topic, location.partition(), key(fileId, i), null)));
        }
        try {
            for (Future<RecordMetadata> f : sends) {
                f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobPublisher.PublishException("interrupted while deleting file " + fileId, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new JobPublisher.PublishException("the broker did not take the deletion of " + fileId + ": " + e, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
