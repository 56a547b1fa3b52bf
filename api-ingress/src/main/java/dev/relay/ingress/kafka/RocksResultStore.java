package dev.relay.ingress.kafka;

import dev.relay.schemas.JobResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingress's results on local disk (RocksDB, LZ4), so its heap does not grow with the results topic.
 *
 * <p>{@link #open} keeps them across restarts in {@code ingress-results/} under the state dir, with the positions on
 * the results topic it has read up to: a restarted ingress reads only what was written since (its start time no longer
 * grows with the topic). The store is tied to one cluster and topic (its identity); another identity clears it. Only
 * one process can hold it: a second ingress on the same state dir falls back to {@link #openFresh}, a directory
 * {@code ingress-view-<id>} of its own filled from the beginning of the topic and deleted on close (directories that a
 * crashed instance left behind, which no process holds the lock of, are deleted at the next start).
 *
 * <p>Keys: {@code r<jobId>} holds the JobResult (Avro single-object encoding); {@code b<batchId>\0<jobId>} marks a
 * batch member (empty value); {@code o<topic>\0<partition>} the next offset to read (8 bytes); {@code i} the
 * identity.
 */
public final class RocksResultStore implements ResultStore {

    private static final Logger log = LoggerFactory.getLogger(RocksResultStore.class);
    static final String DIR_PREFIX = "ingress-view-";
    static final String PERSISTENT_DIR = "ingress-results";
    private static final byte[] IDENTITY_KEY = {'i'};
    private static final String OWNER_LOCK = "owner.lock";

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final FileChannel ownerChannel;
    private final FileLock owner;
    private final Options options;
    private final RocksDB db;
    private final boolean persistent;
    /** Readers hold it shared; close() takes it exclusively, so no call reaches a closed native handle. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

    private boolean closed;

    private RocksResultStore(
            Path dir, FileChannel ownerChannel, FileLock owner, Options options, RocksDB db, boolean persistent) {
        this.persistent = persistent;
        this.dir = dir;
        this.ownerChannel = ownerChannel;
        this.owner = owner;
        this.options = options;
        this.db = db;
    }

    /** Opens a fresh store under {@code parent}, first deleting stores there that no running process owns. */
    public static RocksResultStore openFresh(Path parent) {
        try {
            Files.createDirectories(parent);
            deleteOrphans(parent);
            Path dir = parent.resolve(DIR_PREFIX + UUID.randomUUID().toString().substring(0, 8));
            Files.createDirectories(dir);
            FileChannel channel =
                    FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.lock();
            Options options =
                    new Options().setCreateIfMissing(true).setCompressionType(CompressionType.LZ4_COMPRESSION);
            try {
                RocksDB db = RocksDB.open(options, dir.resolve("db").toString());
                log.info("job results kept on disk in {}", dir);
                return new RocksResultStore(dir, channel, lock, options, db, false);
            } catch (RocksDBException e) {
                options.close();
                lock.release();
                channel.close();
                throw new IllegalStateException("cannot open the results store in " + dir + ": " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the results store under " + parent, e);
        }
    }

    /**
     * Opens the store kept across restarts under {@code parent} for {@code identity} (for example the cluster id and
     * the results topic), clearing it first if it belonged to another; when another process (or another ingress in
     * this JVM) holds it, opens a fresh one instead ({@link #openFresh}).
     */
    public static RocksResultStore open(Path parent, String identity) {
        Path dir = parent.resolve(PERSISTENT_DIR);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held in this JVM
            }
            if (lock == null) {
                channel.close();
                log.info(
                        "{} is in use by another ingress: this one reads the results topic into a store of its own",
                        dir);
                return openFresh(parent);
            }
            Options options =
                    new Options().setCreateIfMissing(true).setCompressionType(CompressionType.LZ4_COMPRESSION);
            try {
                RocksDB db = RocksDB.open(options, dir.resolve("db").toString());
                RocksResultStore store = new RocksResultStore(dir, channel, lock, options, db, true);
                byte[] stored = db.get(IDENTITY_KEY);
                byte[] wanted = identity.getBytes(StandardCharsets.UTF_8);
                if (stored != null && !Arrays.equals(stored, wanted)) {
                    log.info(
                            "the results kept in {} belong to {}, not {}: starting it again",
                            dir,
                            new String(stored, StandardCharsets.UTF_8),
                            identity);
                    store.clear();
                }
                db.put(IDENTITY_KEY, wanted);
                log.info("job results kept on disk in {} across restarts", dir);
                return store;
            } catch (RocksDBException e) {
                options.close();
                lock.release();
                channel.close();
                throw new IllegalStateException("cannot open the results store in " + dir + ": " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the results store in " + dir, e);
        }
    }

    @Override
    public Map<TopicPartition, Long> positions(String topic) {
        byte[] prefix = ("o" + topic + '\u0000').getBytes(StandardCharsets.UTF_8);
        Map<TopicPartition, Long> out = new HashMap<>();
        lifecycle.readLock().lock();
        try (RocksIterator it = open().newIterator()) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                byte[] key = it.key();
                int partition = Integer.parseInt(
                        new String(key, prefix.length, key.length - prefix.length, StandardCharsets.UTF_8));
                out.put(
                        new TopicPartition(topic, partition),
                        ByteBuffer.wrap(it.value()).getLong());
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return out;
    }

    @Override
    public void checkpoint(Map<TopicPartition, Long> positions) {
        if (positions.isEmpty()) {
            return;
        }
        lifecycle.readLock().lock();
        try (WriteBatch batch = new WriteBatch();
                WriteOptions write = new WriteOptions()) {
            for (Map.Entry<TopicPartition, Long> e : positions.entrySet()) {
                batch.put(
                        positionKey(e.getKey()),
                        ByteBuffer.allocate(8).putLong(e.getValue()).array());
            }
            open().write(write, batch);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot record the results topic positions: " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public synchronized void clear() {
        lifecycle.readLock().lock();
        try {
            // every key is one ASCII letter followed by its data: [0x00, 0xFF) covers them all
            open().deleteRange(new byte[] {0}, new byte[] {(byte) 0xFF});
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot clear the results store: " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public Optional<JobResult> get(String jobId) {
        lifecycle.readLock().lock();
        try {
            open();
            byte[] bytes = db.get(resultKey(jobId));
            return bytes == null ? Optional.empty() : Optional.of(JobResult.fromByteBuffer(ByteBuffer.wrap(bytes)));
        } catch (RocksDBException | IOException e) {
            throw new IllegalStateException("cannot read the result of job " + jobId + ": " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public synchronized void merge(JobResult result) {
        String id = result.getJobId();
        lifecycle.readLock().lock();
        try {
            open();
            Optional<JobResult> old = get(id);
            if (old.isPresent() && old.get().getReplayGeneration() > result.getReplayGeneration()) {
                return;
            }
            ByteBuffer buf = result.toByteBuffer();
            byte[] value = Arrays.copyOfRange(
                    buf.array(), buf.arrayOffset() + buf.position(), buf.arrayOffset() + buf.limit());
            db.put(resultKey(id), value);
            if (result.getBatchId() != null) {
                db.put(batchKey(result.getBatchId(), id), new byte[0]);
            }
        } catch (RocksDBException | IOException e) {
            throw new IllegalStateException("cannot store the result of job " + id + ": " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public Set<String> batchMembers(String batchId) {
        byte[] prefix = batchPrefix(batchId);
        Set<String> out = new HashSet<>();
        lifecycle.readLock().lock();
        try (RocksIterator it = open().newIterator()) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                byte[] key = it.key();
                out.add(new String(key, prefix.length, key.length - prefix.length, StandardCharsets.UTF_8));
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return out;
    }

    @Override
    public long size() {
        lifecycle.readLock().lock();
        try {
            return closed ? 0 : db.getLongProperty("rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            return -1;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private RocksDB open() {
        if (closed) {
            throw new IllegalStateException("the results store is closed (the ingress is stopping)");
        }
        return db;
    }

    /** Where this store lives (deleted on close unless it is kept across restarts). */
    public Path directory() {
        return dir;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            db.close();
            options.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
        try {
            owner.release();
            ownerChannel.close();
        } catch (IOException e) {
            log.debug("releasing {}: {}", dir, e.toString());
        }
        if (!persistent) {
            deleteTree(dir);
        }
    }

    private static void deleteOrphans(Path parent) throws IOException {
        try (Stream<Path> children = Files.list(parent)) {
            for (Path child : children.filter(p -> p.getFileName().toString().startsWith(DIR_PREFIX))
                    .toList()) {
                if (orphaned(child)) {
                    log.info("deleting {}, left behind by an ingress that did not close", child);
                    deleteTree(child);
                }
            }
        }
    }

    private static boolean orphaned(Path dir) {
        Path lockFile = dir.resolve(OWNER_LOCK);
        if (!Files.exists(lockFile)) {
            return true;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return false; // another process holds it
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // this JVM holds it: another ingress instance in this process
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.toString());
        }
    }

    private static byte[] positionKey(TopicPartition tp) {
        return ("o" + tp.topic() + '\u0000' + tp.partition()).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] resultKey(String jobId) {
        return ("r" + jobId).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] batchPrefix(String batchId) {
        return ("b" + batchId + '\u0000').getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] batchKey(String batchId, String jobId) {
        return ("b" + batchId + '\u0000' + jobId).getBytes(StandardCharsets.UTF_8);
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
