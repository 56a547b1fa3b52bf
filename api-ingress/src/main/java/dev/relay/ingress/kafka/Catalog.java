package dev.relay.ingress.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The batch catalog: OpenAI file and batch objects (plus Relay's own fields), one JSON record per id. Every ingress
 * instance holds all of it (it is small: one record per file or batch) and any instance may write; the Kafka one
 * ({@link KafkaCatalog}) keeps it in a compacted topic, so it survives restarts and is the same everywhere.
 */
public interface Catalog extends AutoCloseable {

    /** Writes the record under {@code id} and waits for the broker; afterwards {@link #get} on this instance sees it. */
    void put(String id, ObjectNode record);

    /** Deletes the record (a tombstone). */
    void remove(String id);

    Optional<ObjectNode> get(String id);

    /** Every record whose {@code object} field is {@code object} ("file" or "batch"), newest first. */
    List<ObjectNode> list(String object);

    @Override
    void close();

    static Catalog inMemory() {
        return new InMemory();
    }

    /** Orders records newest first (created_at, then id), as OpenAI's list endpoints do. */
    Comparator<ObjectNode> NEWEST_FIRST = Comparator.<ObjectNode>comparingLong(
                    n -> n.path("created_at").asLong())
            .thenComparing(n -> n.path("id").asText())
            .reversed();

    /** A catalog in a heap map: for tests of the HTTP layer. */
    final class InMemory implements Catalog {
        final Map<String, ObjectNode> records = new ConcurrentHashMap<>();

        @Override
        public void put(String id, ObjectNode record) {
            records.put(id, record.deepCopy());
        }

        @Override
        public void remove(String id) {
            records.remove(id);
        }

        @Override
        public Optional<ObjectNode> get(String id) {
            return Optional.ofNullable(records.get(id)).map(ObjectNode::deepCopy);
        }

        @Override
        public List<ObjectNode> list(String object) {
            return records.values().stream()
                    .filter(n -> object.equals(n.path("object").asText()))
                    .map(ObjectNode::deepCopy)
                    .sorted(NEWEST_FIRST)
                    .toList();
        }

        @Override
        public void close() {}
    }
}
