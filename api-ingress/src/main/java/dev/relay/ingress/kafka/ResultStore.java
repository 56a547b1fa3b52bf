package dev.relay.ingress.kafka;

import dev.relay.schemas.JobResult;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;

/**
 * The latest result of every job the ingress has seen on the compacted results topic, and which jobs each batch
 * holds. The results topic keeps results for as long as it is retained, so this grows with it: the ingress keeps it
 * on disk ({@link RocksResultStore}), across restarts with the positions it has read up to; tests and small tools
 * may keep it in memory.
 */
public interface ResultStore extends AutoCloseable {

    Optional<JobResult> get(String jobId);

    /** Stores {@code result} unless a newer replay generation of the same job is already stored. */
    void merge(JobResult result);

    /** The job ids with a stored result in {@code batchId}. */
    Set<String> batchMembers(String batchId);

    /** Number of stored results (an estimate for the on-disk store). */
    long size();

    /**
     * Where reading {@code topic} should resume, per partition: the positions of the last {@link #checkpoint}. Empty
     * for a store that starts empty at every start (then the topic is read from the beginning).
     */
    default Map<TopicPartition, Long> positions(String topic) {
        return Map.of();
    }

    /**
     * Records the reader's positions, after the results before them were merged. A crash between a merge and its
     * checkpoint only makes the next start read those results again, and merging is idempotent.
     */
    default void checkpoint(Map<TopicPartition, Long> positions) {}

    /** Forgets every result and position (the topic the positions belong to was recreated). */
    default void clear() {}

    @Override
    void close();

    static ResultStore inMemory() {
        return new InMemory();
    }

    /** Results in a heap map: for tests and tools; the ingress uses {@link RocksResultStore}. */
    final class InMemory implements ResultStore {
        private final Map<String, JobResult> results = new ConcurrentHashMap<>();
        private final Map<String, Set<String>> batches = new ConcurrentHashMap<>();

        @Override
        public Optional<JobResult> get(String jobId) {
            return Optional.ofNullable(results.get(jobId));
        }

        @Override
        public void merge(JobResult result) {
            results.merge(
                    result.getJobId(),
                    result,
                    (old, neu) -> neu.getReplayGeneration() >= old.getReplayGeneration() ? neu : old);
            if (result.getBatchId() != null) {
                batches.computeIfAbsent(result.getBatchId(), b -> ConcurrentHashMap.newKeySet())
                        .add(result.getJobId());
            }
        }

        @Override
        public Set<String> batchMembers(String batchId) {
            return Set.copyOf(batches.getOrDefault(batchId, Set.of()));
        }

        @Override
        public long size() {
            return results.size();
        }

        @Override
        public void close() {}
    }
}
