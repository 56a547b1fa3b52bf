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
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingress's results on local disk (RocksDB, LZ4), so its heap does not grow with the results topic. Each ingress
 * start gets a fresh directory {@code ingress-view-<id>} under the given parent and fills it from the topic (as the
 * in-memory view did); the directory is deleted on close, and directories that a crashed instance left behind (no
 * process holds their lock) are deleted at the next start.
 *
 * <p>Keys: {@code r<jobId>} holds the JobResult (Avro single-object encoding); {@code b<batchId>\0<jobId>} marks a
 * batch member (empty value).
 */
public final class RocksResultStore implements ResultStore {

    private static final Logger log = LoggerFactory.getLogger(RocksResultStore.class);
    static final String DIR_PREFIX = "ingress-view-";
    private static final String OWNER_LOCK = "owner.lock";

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final FileChannel ownerChannel;
    private final FileLock owner;
    private final Options options;
    private final RocksDB db;
    /** Readers hold it shared; close() takes it exclusively, so no call reaches a closed native handle. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private RocksResultStore(Path dir, FileChannel ownerChannel, FileLock owner, Options options, RocksDB db) {
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
            FileChannel channel = FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock = channel.lock();
            Options options = new Options().setCreateIfMissing(true).setCompressionType(CompressionType.LZ4_COMPRESSION);
            try {
                RocksDB db = RocksDB.open(options, dir.resolve("db").toString());
                log.info("job results kept on disk in {}", dir);
                return new RocksResultStore(dir, channel, lock, options, db);
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
            byte[] value = Arrays.copyOfRange(buf.array(), buf.arrayOffset() + buf.position(),
                    buf.arrayOffset() + buf.limit());
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

    /** Where this store lives (deleted on close). */
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
        deleteTree(dir);
    }

    private static void deleteOrphans(Path parent) throws IOException {
        try (Stream<Path> children = Files.list(parent)) {
            for (Path child : children.filter(p -> p.getFileName().toString().startsWith(DIR_PREFIX)).toList()) {
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
