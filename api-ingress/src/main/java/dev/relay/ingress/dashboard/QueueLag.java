package dev.relay.ingress.dashboard;

import dev.relay.schemas.Topics;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Queue depth per hop topic: the processor's consumer group lag (end offset minus committed offset), read with the
 * admin client at most every two seconds however many dashboards ask.
 */
public final class QueueLag {

    private static final long CACHE_MS = 2000;

    private final Admin admin;
    private final Topics topics;
    private final String group;
    private volatile Map<String, Long> cached = Map.of();
    private volatile long at;

    public QueueLag(Admin admin, Topics topics, String group) {
        this.admin = admin;
        this.topics = topics;
        this.group = group;
    }

    public synchronized Map<String, Long> lag() {
        if (System.currentTimeMillis() - at < CACHE_MS) {
            return cached;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(3, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            var described =
                    admin.describeTopics(topics.hopTopics()).allTopicNames().get(3, TimeUnit.SECONDS);
            described.forEach((name, d) ->
                    d.partitions().forEach(p -> ask.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                    admin.listOffsets(ask).all().get(3, TimeUnit.SECONDS);
            for (String t : topics.hopTopics()) {
                out.put(t, 0L);
            }
            ends.forEach((tp, end) -> {
                OffsetAndMetadata c = committed.get(tp);
                long lag = Math.max(0, end.offset() - (c == null ? 0 : c.offset()));
                out.merge(tp.topic(), lag, Long::sum);
            });
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return cached; // the dashboard shows the last figures; the broker may be busy
        }
        cached = java.util.Collections.unmodifiableMap(out);
        at = System.currentTimeMillis();
        return out;
    }
}
