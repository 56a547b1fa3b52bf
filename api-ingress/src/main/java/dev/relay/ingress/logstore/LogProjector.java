package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the topics into the log store on a thread of its own. It reads read_committed with manually assigned
 * partitions and no consumer group: the next offset of every partition is stored in the database in the same
 * transaction as the rows, so a restart resumes exactly where the store ends, and an empty (deleted) database starts
 * from the beginning of every topic and rebuilds what the topics still hold. Nothing on the request path waits for
 * it, and it runs as background work: it waits for 256 KB or 500 ms of records per fetch, so each database transaction
 * holds hundreds of rows rather than a few, and (with {@code background_priority}) at the lowest CPU priority. Undecodable
 * records are counted and skipped (the processor dead-letters its own input).
 */
public final class LogProjector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LogProjector.class);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);
    private static final Duration REASSIGN_EVERY = Duration.ofSeconds(10);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Admin admin;
    private final LogWriter writer;
    private final RelaySerdes serdes;
    private final Topics topics;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Thread thread;
    private final AtomicLong projected = new AtomicLong();
    private final AtomicLong undecodable = new AtomicLong();
    private final AtomicLong attemptsProjected = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile long lastPoll;
    private Set<TopicPartition> assigned = Set.of();
    private Map<TopicPartition, Long> endAtStart;

    public LogProjector(
            Map<String, Object> clientProps,
            Admin admin,
            LogWriter writer,
            RelaySerdes serdes,
            Topics topics,
            Clock clock,
            boolean background) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        c.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 256 * 1024);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "relay-ingress-logstore");
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        this.admin = admin;
        this.writer = writer;
        this.serdes = serdes;
        this.topics = topics;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("relay-logstore").daemon().unstarted(() -> {
            if (background) {
                BackgroundPriority.lowerCurrentThread();
            }
            run();
        });
    }

    public void start() {
        thread.start();
    }

    /** Whether the store has read every record that was in the topics when it started. */
    public boolean caughtUp() {
        return caughtUp;
    }

    public boolean running() {
        return thread.isAlive();
    }

    public long projected() {
        return projected.get();
    }

    public long attemptsProjected() {
        return attemptsProjected.get();
    }

    public long undecodable() {
        return undecodable.get();
    }

    List<String> sourceTopics() {
        return List.of(
                topics.jobs(),
                topics.attempts(),
                topics.results(),
                topics.failed(),
                topics.deadletter(),
                topics.webhooks(),
                topics.status());
    }

    private void run() {
        long lastAssign = 0;
        long lastPrune = clock.millis();
        try {
            while (running) {
                if (clock.millis() - lastAssign > REASSIGN_EVERY.toMillis() || assigned.isEmpty()) {
                    assign();
                    lastAssign = clock.millis();
                    if (assigned.isEmpty()) {
                        Thread.sleep(500);
                        continue;
                    }
                }
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                lastPoll = clock.millis();
                if (!records.isEmpty()) {
                    LogBatch batch = new LogBatch();
                    for (ConsumerRecord<String, byte[]> r : records) {
                        add(batch, r);
                    }
                    for (TopicPartition tp : records.partitions()) {
                        batch.offset(tp.topic(), tp.partition(), consumer.position(tp));
                    }
                    writer.apply(batch);
                    projected.addAndGet(records.count());
                    attemptsProjected.addAndGet(batch.attempts.size());
                }
                checkCaughtUp();
                if (clock.millis() - lastPrune > PRUNE_EVERY.toMillis()) {
                    prune();
                    lastPrune = clock.millis();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("log store consumer woken unexpectedly", e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException | RuntimeException e) {
            LOG.error("log store projection stopped; the dashboard shows what was stored, restart to resume", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void add(LogBatch b, ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return; // a tombstone: the compacted topics' deletions; the store keeps its row until retention
        }
        String t = r.topic();
        try {
            if (t.equals(topics.jobs())) {
                b.job(serdes.job().deserialize(t, r.value()));
            } else if (t.equals(topics.attempts())) {
                b.attempt(serdes.attempt().deserialize(t, r.value()));
            } else if (t.equals(topics.results())) {
                b.result(serdes.result().deserialize(t, r.value()));
            } else if (t.equals(topics.failed())) {
                b.failed(serdes.failed().deserialize(t, r.value()));
            } else if (t.equals(topics.webhooks())) {
                b.webhook(r.key(), new String(r.value(), StandardCharsets.UTF_8));
            } else if (t.equals(topics.status())) {
                b.status(r.key(), new String(r.value(), StandardCharsets.UTF_8));
            } else if (t.equals(topics.deadletter())) {
                b.deadLetter(new LogBatch.DeadLetter(
                        t, r.partition(), r.offset(), r.key(), r.timestamp(), headers(r), r.value().length));
            }
        } catch (RuntimeException e) {
            long n = undecodable.incrementAndGet();
            if (n <= 10 || n % 1000 == 0) {
                LOG.warn(
                        "log store: skipping undecodable record {}-{}@{} ({} so far): {}",
                        t,
                        r.partition(),
                        r.offset(),
                        n,
                        e.toString());
            }
        }
    }

    private String headers(ConsumerRecord<String, byte[]> r) {
        ObjectNode n = json.createObjectNode();
        for (Header h : r.headers()) {
            n.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return n.toString();
    }

    /** Assigns every partition of the source topics that exists now, at the stored offsets (or the beginning). */
    private void assign() throws SQLException {
        Set<TopicPartition> all = new HashSet<>();
        for (String t : sourceTopics()) {
            List<PartitionInfo> parts = consumer.partitionsFor(t, Duration.ofSeconds(5));
            if (parts != null) {
                parts.forEach(p -> all.add(new TopicPartition(t, p.partition())));
            }
        }
        if (all.equals(assigned)) {
            return;
        }
        Map<String, Map<Integer, Long>> stored = writer.offsets();
        consumer.assign(all);
        List<TopicPartition> fromStart = new ArrayList<>();
        for (TopicPartition tp : all) {
            Long next = stored.getOrDefault(tp.topic(), Map.of()).get(tp.partition());
            if (next == null) {
                fromStart.add(tp);
            } else if (!assigned.contains(tp)) {
                consumer.seek(tp, next);
            }
        }
        fromStart.removeAll(assigned);
        consumer.seekToBeginning(fromStart);
        assigned = Set.copyOf(all);
        endAtStart = null;
        LOG.info(
                "log store follows {} partitions of {} topics ({} from the beginning)",
                all.size(),
                sourceTopics().size(),
                fromStart.size());
    }

    private void checkCaughtUp() {
        if (caughtUp) {
            return;
        }
        if (endAtStart == null) {
            endAtStart = consumer.endOffsets(assigned, Duration.ofSeconds(5));
        }
        for (var e : endAtStart.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return;
            }
        }
        caughtUp = true;
        LOG.info("log store caught up with the topics ({} records projected)", projected.get());
    }

    private void prune() {
        try {
            Map<String, Long> retention = retentions();
            long now = clock.millis();
            Long attempts = cutoff(retention.get(topics.attempts()), now);
            Long content = cutoff(retention.get(topics.jobs()), now);
            Long dead = cutoff(retention.get(topics.deadletter()), now);
            int n = writer.prune(attempts, content, dead);
            if (n > 0) {
                LOG.info("log store: {} rows past the topics' retention pruned", n);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("log store: pruning failed, retried later: {}", e.toString());
        }
    }

    private static Long cutoff(Long retentionMs, long now) {
        return retentionMs == null || retentionMs < 0 ? null : now - retentionMs;
    }

    private Map<String, Long> retentions() throws Exception {
        List<ConfigResource> res = List.of(topics.attempts(), topics.jobs(), topics.deadletter()).stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                .toList();
        Map<String, Long> out = new HashMap<>();
        Map<ConfigResource, Config> configs = admin.describeConfigs(res).all().get(10, TimeUnit.SECONDS);
        configs.forEach((r, c) -> {
            var policy = c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            var ms = c.get(TopicConfig.RETENTION_MS_CONFIG);
            if (policy != null && policy.value().contains("delete") && ms != null && ms.value() != null) {
                out.put(r.name(), Long.parseLong(ms.value()));
            }
        });
        return out;
    }

    /** Milliseconds since the projector last came back from the broker (its liveness). */
    public long sinceLastPoll() {
        return lastPoll == 0 ? -1 : clock.millis() - lastPoll;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
