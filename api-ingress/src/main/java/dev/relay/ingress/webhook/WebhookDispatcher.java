package dev.relay.ingress.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.AvroSerde;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives webhook deliveries from the results topic with a consumer group shared by all ingress instances (each result
 * is delivered by one of them). An offset is committed only once every delivery at or below it has ended (delivered,
 * given up or refused), so a delivery pending when an ingress stops is redone by whichever instance takes the
 * partition: at-least-once; receivers dedupe on {@code webhook-id}. Every state change (pending with its attempts,
 * delivered, gave_up, refused) goes to the compacted webhooks topic, keyed by job id, for {@code GET /v1/jobs/{id}}.
 */
public final class WebhookDispatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, String> states;
    private final AvroSerde<JobResult> serde;
    private final Topics topics;
    private final WebhookSender sender;
    private final Function<JobResult, JsonNode> payload;
    private final Function<String, Optional<String>> knownState;
    private final ObjectMapper json;
    private final Clock clock;
    private final Map<TopicPartition, ConcurrentSkipListSet<Long>> inFlight = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> seen = new ConcurrentHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong gaveUp = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final Thread thread;
    private final java.util.Set<Thread> deliveries = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private final java.util.Set<Integer> assigned = ConcurrentHashMap.newKeySet();
    private volatile int partitions = 1;

    public WebhookDispatcher(
            Map<String, Object> clientProps,
            AvroSerde<JobResult> serde,
            Topics topics,
            WebhookSender sender,
            Function<JobResult, JsonNode> payload,
            Function<String, Optional<String>> knownState,
            ObjectMapper json,
            Clock clock) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, topics.prefix() + "ingress-webhooks");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "relay-ingress-webhooks");
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "relay-ingress-webhook-states");
        this.states = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        this.serde = serde;
        this.topics = topics;
        this.sender = sender;
        this.payload = payload;
        this.knownState = knownState;
        this.json = json;
        this.clock = clock;
        this.thread =
                Thread.ofPlatform().name("relay-ingress-webhooks").daemon().unstarted(this::run);
    }

    public void start() {
        partitions = Math.max(
                1,
                consumer.partitionsFor(topics.results(), Duration.ofSeconds(30)).size());
        consumer.subscribe(List.of(topics.results()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                commit();
                revoked.forEach(tp -> {
                    assigned.remove(tp.partition());
                    inFlight.remove(tp);
                    seen.remove(tp);
                });
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> added) {
                added.forEach(tp -> assigned.add(tp.partition()));
            }
        });
        thread.start();
    }

    /**
     * Whether this instance is the one that sends the webhooks keyed {@code key} (a batch id): the one that holds the
     * results partition the key hashes to, so one instance at a time owns each batch's webhook.
     */
    public boolean owns(String key) {
        int p = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                        key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                % partitions;
        return assigned.contains(p);
    }

    public boolean running() {
        return thread.isAlive();
    }

    public long delivered() {
        return delivered.get();
    }

    public long gaveUp() {
        return gaveUp.get();
    }

    public long refused() {
        return refused.get();
    }

    public long pending() {
        return inFlight.values().stream().mapToLong(Collection::size).sum();
    }

    private void run() {
        long lastCommit = 0;
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    seen.put(tp, r.offset());
                    handle(tp, r);
                }
                if (clock.millis() - lastCommit > 500) {
                    commit();
                    lastCommit = clock.millis();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("webhook consumer woken unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("webhook dispatcher stopped; undelivered webhooks stay uncommitted and are redone on restart", e);
        } finally {
            commit();
            consumer.close(Duration.ofSeconds(2));
            states.close(Duration.ofSeconds(2));
        }
    }

    private void handle(TopicPartition tp, ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return;
        }
        JobResult result;
        try {
            result = serde.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            LOG.warn(
                    "webhooks: skipping undecodable result {}-{}@{}: {}",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.toString());
            return;
        }
        if (result.getCallbackUrl() == null) {
            return;
        }
        String webhookId = "whk_" + result.getJobId() + "_g" + result.getReplayGeneration();
        if (alreadyEnded(result, webhookId)) {
            return;
        }
        ConcurrentSkipListSet<Long> pending = inFlight.computeIfAbsent(tp, t -> new ConcurrentSkipListSet<>());
        pending.add(r.offset());
        String body = envelope(result).toString();
        Thread delivery = Thread.ofVirtual()
                .name("webhook-" + result.getJobId())
                .unstarted(() -> {
                    try {
                        record(result, webhookId, "pending", List.of());
                        WebhookSender.Outcome o = sender.deliver(
                                result.getCallbackUrl(),
                                webhookId,
                                body,
                                attempts -> record(result, webhookId, "pending", attempts));
                        switch (o.state()) {
                            case DELIVERED -> delivered.incrementAndGet();
                            case GAVE_UP -> gaveUp.incrementAndGet();
                            case REFUSED -> refused.incrementAndGet();
                        }
                        if (o.state() != WebhookSender.State.DELIVERED) {
                            LOG.warn(
                                    "webhook {} for job {} ended {} after {} attempts",
                                    webhookId,
                                    result.getJobId(),
                                    o.state(),
                                    o.attempts().size());
                        }
                        record(result, webhookId, o.state().name().toLowerCase(java.util.Locale.ROOT), o.attempts());
                        pending.remove(r.offset());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        LOG.error("webhook {} failed unexpectedly; it stays uncommitted", webhookId, e);
                    } finally {
                        deliveries.remove(Thread.currentThread());
                    }
                });
        deliveries.add(delivery);
        delivery.start();
    }

    private boolean alreadyEnded(JobResult result, String webhookId) {
        return knownState
                .apply(result.getJobId())
                .map(s -> {
                    try {
                        JsonNode n = json.readTree(s);
                        return webhookId.equals(n.path("webhook_id").asText())
                                && !"pending".equals(n.path("state").asText());
                    } catch (java.io.IOException e) {
                        return false;
                    }
                })
                .orElse(false);
    }

    private JsonNode envelope(JobResult r) {
        ObjectNode e = json.createObjectNode();
        e.put("type", r.getStatus() == dev.relay.schemas.JobStatus.SUCCEEDED ? "job.succeeded" : "job.failed");
        e.put("timestamp", java.time.Instant.ofEpochMilli(clock.millis()).toString());
        e.set("data", payload.apply(r));
        return e;
    }

    private void record(JobResult r, String webhookId, String state, List<WebhookSender.Attempt> attempts) {
        ObjectNode n = json.createObjectNode();
        n.put("webhook_id", webhookId);
        n.put("job_id", r.getJobId());
        n.put("url", r.getCallbackUrl());
        n.put("state", state);
        n.put("updated_at", clock.millis());
        ArrayNode a = n.putArray("attempts");
        attempts.forEach(
                x -> a.addObject().put("at", x.at()).put("status", x.status()).put("error", x.error()));
        states.send(new ProducerRecord<>(topics.webhooks(), r.getJobId(), n.toString()));
    }

    /** Commits, per partition, just below the oldest delivery still under way (or past the last record seen). */
    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        seen.forEach((tp, last) -> {
            ConcurrentSkipListSet<Long> pending = inFlight.get(tp);
            long next = pending == null || pending.isEmpty() ? last + 1 : pending.first();
            offsets.put(tp, new OffsetAndMetadata(next));
        });
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warn("webhook offset commit failed (deliveries will be redone): {}", e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        // Stop retrying here: unfinished deliveries are uncommitted and will be redone by the partition's next owner.
        deliveries.forEach(Thread::interrupt);
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.close();
    }
}
