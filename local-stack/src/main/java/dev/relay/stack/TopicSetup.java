package dev.relay.stack;

import dev.relay.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates every Relay topic ({@link Topics#all()}) with deliberate settings. Idempotent: topics that exist are left as
 * they are (their data and settings are never touched), so it runs on every {@code relay up}.
 *
 * <table>
 *   <caption>Topic settings</caption>
 *   <tr><th>topic</th><th>cleanup</th><th>why</th></tr>
 *   <tr><td>jobs, jobs.hop-N</td><td>delete, 7 days</td><td>work in flight; a job is done within minutes</td></tr>
 *   <tr><td>results, webhooks</td><td>compact (by job id)</td><td>the latest state per job, kept for ever; records
 *       stay uncompacted for {@link #MIN_COMPACTION_LAG} so readers can follow recent history</td></tr>
 *   <tr><td>files, batches</td><td>compact (by chunk, file or batch id)</td><td>uploaded files and the batch
 *       catalog, kept until deleted (a tombstone)</td></tr>
 *   <tr><td>attempts</td><td>delete, 30 days</td><td>the audit trail</td></tr>
 *   <tr><td>status</td><td>compact (by provider)</td><td>the processor's latest snapshot per provider</td></tr>
 *   <tr><td>failed, deadletter</td><td>delete, 90 days</td><td>input of replays and of manual repair, which may
 *       come weeks after an outage</td></tr>
 *   <tr><td>stream</td><td>delete, 1 day</td><td>a live view of streaming attempts, for callers that resume a
 *       stream; the whole answer stays in results</td></tr>
 * </table>
 */
public final class TopicSetup {

    public static final Duration HOP_RETENTION = Duration.ofDays(7);
    public static final Duration AUDIT_RETENTION = Duration.ofDays(30);
    public static final Duration FAILED_RETENTION = Duration.ofDays(90);
    public static final Duration STREAM_RETENTION = Duration.ofDays(1);
    public static final Duration MIN_COMPACTION_LAG = Duration.ofHours(1);
    /** Compacted topics roll segments daily, or the cleaner would never see a closed segment on a quiet node. */
    public static final Duration COMPACTED_SEGMENT = Duration.ofDays(1);
    /** Tombstones stay this long, so a consumer that lags by less still sees the deletion. */
    public static final Duration TOMBSTONE_RETENTION = Duration.ofDays(1);

    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {}

    /** Creates the missing topics with replication factor 1 (a single local broker); returns the ones it created. */
    public static List<String> createAll(String bootstrapServers, Topics topics, int partitions) {
        return createAll(bootstrapServers, topics, partitions, (short) 1);
    }

    public static List<String> createAll(
            String bootstrapServers, Topics topics, int partitions, short replicationFactor) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            return createAll(admin, topics, partitions, replicationFactor);
        }
    }

    public static List<String> createAll(Admin admin, Topics topics, int partitions, short replicationFactor) {
        if (partitions < 1 || replicationFactor < 1) {
            throw new IllegalArgumentException("partitions and replication factor must be >= 1");
        }
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String name : topics.all()) {
                if (!existing.contains(name)) {
                    missing.add(new NewTopic(name, partitions, replicationFactor)
                            .configs(configFor(topics, name, replicationFactor)));
                }
            }
            List<String> created = new ArrayList<>();
            var results = admin.createTopics(missing).values();
            for (var entry : results.entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e; // created meanwhile by another process is fine; anything else is not
                    }
                }
            }
            LOG.info(
                    "Topics with prefix '{}': created {}, {} already existed",
                    topics.prefix(),
                    created,
                    topics.all().size() - created.size());
            awaitLeaders(admin, created);
            return List.copyOf(created);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot create Relay topics: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating topics", e);
        }
    }

    /**
     * Waits until every partition of the new topics has a leader. A producer that writes to a topic in the moments
     * after its creation gets NOT_LEADER_OR_FOLLOWER; an idempotent producer with several batches in flight can then
     * retry its first batch after later ones were appended and loop on OUT_OF_ORDER_SEQUENCE_NUMBER (seen with Kafka
     * 4.4 in a test that produced right after creating its topics).
     */
    static void awaitLeaders(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
        if (names.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            boolean ready = true;
            try {
                for (var d : admin.describeTopics(names)
                        .allTopicNames()
                        .get(30, TimeUnit.SECONDS)
                        .values()) {
                    for (var partition : d.partitions()) {
                        ready &= partition.leader() != null
                                && !partition.leader().isEmpty();
                    }
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                ready = false; // metadata not propagated yet (UnknownTopicOrPartition): ask again
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + names + " have partitions without a leader after 30 s");
            }
            Thread.sleep(20);
        }
    }

    /** The topic-level settings of one Relay topic. */
    public static Map<String, String> configFor(Topics topics, String name, short replicationFactor) {
        Map<String, String> c = new HashMap<>();
        if (name.equals(topics.status())) {
            // one small snapshot per provider, rewritten every few seconds: only the latest matters
            c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            c.put(TopicConfig.SEGMENT_MS_CONFIG, ms(Duration.ofHours(1)));
            c.put(TopicConfig.DELETE_RETENTION_MS_CONFIG, ms(TOMBSTONE_RETENTION));
        } else if (name.equals(topics.results())
                || name.equals(topics.webhooks())
                || name.equals(topics.files())
                || name.equals(topics.batches())) {
            c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            c.put(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, ms(MIN_COMPACTION_LAG));
            c.put(TopicConfig.SEGMENT_MS_CONFIG, ms(COMPACTED_SEGMENT));
            c.put(TopicConfig.DELETE_RETENTION_MS_CONFIG, ms(TOMBSTONE_RETENTION));
        } else if (name.equals(topics.attempts())) {
            c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            c.put(TopicConfig.RETENTION_MS_CONFIG, ms(AUDIT_RETENTION));
        } else if (name.equals(topics.failed()) || name.equals(topics.deadletter())) {
            c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            c.put(TopicConfig.RETENTION_MS_CONFIG, ms(FAILED_RETENTION));
        } else if (name.equals(topics.stream())) {
            c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            c.put(TopicConfig.RETENTION_MS_CONFIG, ms(STREAM_RETENTION));
            // segments roll hourly so a day's retention frees space within the hour, not after a 7-day segment
            c.put(TopicConfig.SEGMENT_MS_CONFIG, ms(Duration.ofHours(1)));
        } else {
            c.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
            c.put(TopicConfig.RETENTION_MS_CONFIG, ms(HOP_RETENTION));
        }
        if (replicationFactor >= 3) {
            // with 3 copies, a write acknowledged by two survives the loss of one broker
            c.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
        }
        return c;
    }

    private static String ms(Duration d) {
        return Long.toString(d.toMillis());
    }
}
