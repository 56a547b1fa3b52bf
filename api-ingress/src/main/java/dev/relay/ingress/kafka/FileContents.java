package dev.relay.ingress.kafka;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bytes of uploaded files. A file is written once, whole, read as a stream (never held whole in the heap by the
 * Kafka one, {@link KafkaFileContents}) and deleted whole. Where the bytes are is a {@link Location} that the caller
 * keeps in the file's catalog record.
 */
public interface FileContents extends AutoCloseable {

    /** Where a file's chunks are: one partition, from {@code firstOffset}, {@code chunks} records. */
    record Location(int partition, long firstOffset, int chunks) {}

    /** Stores the stream's bytes under {@code fileId}; returns once the broker holds all of them. */
    Location write(String fileId, InputStream content) throws IOException;

    /** The file's bytes, in order, as a stream the caller closes. */
    InputStream open(String fileId, Location location);

    /** Deletes the file's bytes. */
    void delete(String fileId, Location location);

    @Override
    void close();

    static FileContents inMemory() {
        return new InMemory();
    }

    /** Files in a heap map: for tests of the HTTP layer. */
    final class InMemory implements FileContents {
        private final Map<String, byte[]> files = new ConcurrentHashMap<>();

        @Override
        public Location write(String fileId, InputStream content) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            content.transferTo(b);
            files.put(fileId, b.toByteArray());
            return new Location(0, 0, 1);
        }

        @Override
        public InputStream open(String fileId, Location location) {
            byte[] bytes = files.get(fileId);
            if (bytes == null) {
                throw new UncheckedIOException(new IOException("no content for " + fileId));
            }
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public void delete(String fileId, Location location) {
            files.remove(fileId);
        }

        @Override
        public void close() {}
    }
}
