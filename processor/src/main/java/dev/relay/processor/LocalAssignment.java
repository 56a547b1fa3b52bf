package dev.relay.processor;

import dev.relay.processor.topology.EarlyCalls;
import dev.relay.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Which hop-topic partitions this instance's stream threads own, refreshed whenever Streams becomes RUNNING (after
 * every rebalance). A key's partition is the producer's default for a String key (murmur2 of its UTF-8 bytes), which
 * is how Streams writes hop records. A stale answer during a rebalance costs at most a call that the hop's new owner
 * repeats; it never changes a result.
 */
final class LocalAssignment implements EarlyCalls.Ownership {

    private final Topics topics;
    private final Map<String, Integer> partitionCounts;
    private volatile Set<TopicPartition> owned = Set.of();

    LocalAssignment(Topics topics, Map<String, Integer> partitionCounts) {
        this.topics = topics;
        this.partitionCounts = Map.copyOf(partitionCounts);
    }

    void refresh(KafkaStreams streams) {
        owned = streams.metadataForLocalThreads().stream()
                .flatMap(t -> t.activeTasks().stream())
                .flatMap(t -> t.topicPartitions().stream())
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public boolean ownsHop(int hop, String key) {
        String topic = topics.hop(hop);
        Integer n = partitionCounts.get(topic);
        if (n == null || n <= 0) {
            return false;
        }
        int partition = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % n;
        return owned.contains(new TopicPartition(topic, partition));
    }
}
