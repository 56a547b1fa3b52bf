package dev.relay.ingress.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog on a compacted topic (key = file or batch id, value = JSON, null = deleted). Every instance reads the
 * whole topic from the beginning into a map (no consumer group) and keeps following it; a write is applied to the map
 * as soon as the broker acknowledges it, so the writer reads its own writes.
 */
public final class KafkaCatalog implements Catalog {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCatalog.class);

    private final Map<String, ObjectNode> records = new ConcurrentHashMap<>();
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    private final String topic;
    private final ObjectMapper json;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;

    public KafkaCatalog(Map<String, Object> clientProps, String topic, ObjectMapper json) {
        this.topic = topic;
        this.json = json;
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId(clientProps, "relay-ingress-catalog-writer"));
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        Map<String, Object> c = new HashMap<>(clientProps);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId(clientProps, "relay-ingress-catalog"));
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
        this.thread = Thread.ofPlatform().name("relay-ingress-catalog").daemon().unstarted(this::run);
    }

    private static String clientId(Map<String, Object> props, String name) {
        Object base = props.get(ConsumerConfig.CLIENT_ID_CONFIG);
        return base == null ? name : base + "-" + name;
    }

    /** Reads the topic to its end, then follows it in the background. */
    public boolean start(Duration catchUpTimeout) throws InterruptedException {
        var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist; create Relay's topics first");
        }
        List<TopicPartition> parts = infos.stream()
                .map(i -> new TopicPartition(topic, i.partition()))
                .toList();
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        endsAtStart = consumer.endOffsets(parts);
        thread.start();
        return caughtUp.await(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private volatile Map<TopicPartition, Long> endsAtStart = Map.of();

    public boolean caughtUp() {
        return caughtUp.getCount() == 0 && thread.isAlive();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r.key(), r.value());
                }
                if (caughtUp.getCount() > 0 && reached(endsAtStart)) {
                    caughtUp.countDown();
                    LOG.info("batch catalog caught up: {} files and batches", records.size());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("catalog reader woken unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("catalog reader stopped: files and batches created elsewhere are not seen here", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private boolean reached(Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void apply(String key, String value) {
        if (key == null) {
            return;
        }
        if (value == null) {
            records.remove(key);
            return;
        }
        try {
            JsonNode n = json.readTree(value);
            if (n instanceof ObjectNode o) {
                records.put(key, o);
            }
        } catch (IOException e) {
            LOG.warn("catalog: skipping an unreadable record for {}: {}", key, e.toString());
        }
    }

    @Override
    public void put(String id, ObjectNode record) {
        send(id, record.toString());
        records.put(id, record.deepCopy());
    }

    @Override
    public void remove(String id) {
        send(id, null);
        records.remove(id);
    }

    private void send(String id, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, id, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobPublisher.PublishException("interrupted while writing the batch catalog", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new JobPublisher.PublishException("the broker did not acknowledge the catalog record: " + e, e);
        }
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
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread.getState() == Thread.State.NEW) {
            consumer.close(Duration.ofSeconds(2));
        } else {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.close(Duration.ofSeconds(5));
    }
}
