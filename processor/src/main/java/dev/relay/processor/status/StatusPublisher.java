package dev.relay.processor.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.routing.CircuitBreakers;
import dev.relay.processor.topology.ProviderGate;
import dev.relay.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one JSON snapshot per provider (and one of the mocker's rule hits, key {@code mocker@instance}) to the
 * compacted status topic every few seconds, keyed by {@code provider@instance}: circuit state (the worst of the
 * provider's breakers, and each per model), calls in flight
 * against the permits ({@code concurrency}), jobs queued for a permit, and the class of the last failed attempt
 * (read from the {@code relay.attempts} counters). It reads existing state only; the dashboard reads the topic and
 * never calls the processor.
 */
public final class StatusPublisher implements AutoCloseable {

    public static final Duration EVERY = Duration.ofSeconds(2);
    /** resilience4j's state order, as {@link CircuitBreakers#STATE_GAUGE} exports it. */
    private static final Map<Integer, String> STATES =
            Map.of(0, "CLOSED", 1, "OPEN", 2, "HALF_OPEN", 3, "DISABLED", 4, "FORCED_OPEN", 5, "METRICS_ONLY");

    private static final Map<Integer, Integer> SEVERITY = Map.of(1, 3, 4, 3, 2, 2, 0, 1, 5, 1, 3, 0);
    private static final Logger LOG = LoggerFactory.getLogger(StatusPublisher.class);

    private final Producer<String, String> producer;
    private final Topics topics;
    private final Map<String, Integer> permits;
    private final ProviderGate gate;
    private final MeterRegistry meters;
    private final String instance;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Double> lastCounts = new HashMap<>();
    private final Map<String, String> lastError = new HashMap<>();
    private final ScheduledExecutorService timer;
    private final java.util.function.Supplier<Map<String, Long>> mockerHits;

    public StatusPublisher(
            Producer<String, String> producer,
            Topics topics,
            Map<String, Integer> permits,
            ProviderGate gate,
            MeterRegistry meters,
            String instance,
            java.util.function.Supplier<Map<String, Long>> mockerHits,
            Clock clock) {
        this.mockerHits = mockerHits;
        this.producer = producer;
        this.topics = topics;
        this.permits = Map.copyOf(permits);
        this.gate = gate;
        this.meters = meters;
        this.instance = instance;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-status");
            t.setDaemon(true);
            return t;
        });
    }

    public static Producer<String, String> producer(Map<String, Object> clientProps) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "relay-processor-status");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    public StatusPublisher start() {
        timer.scheduleAtFixedRate(this::publishQuietly, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void publishQuietly() {
        try {
            publish();
        } catch (RuntimeException e) {
            LOG.warn("status snapshot not published: {}", e.toString());
        }
    }

    /** Sends one snapshot per provider now. */
    public void publish() {
        for (var e : permits.entrySet()) {
            ObjectNode n = snapshot(e.getKey(), e.getValue());
            String key = instance == null ? e.getKey() : e.getKey() + "@" + instance;
            producer.send(new ProducerRecord<>(topics.status(), key, n.toString()));
        }
        Map<String, Long> hits = mockerHits.get();
        if (!hits.isEmpty()) {
            ObjectNode m = json.createObjectNode();
            m.put("mocker", true);
            m.put("instance", instance);
            m.set("mocker_hits", json.valueToTree(hits));
            m.put("at", clock.millis());
            producer.send(new ProducerRecord<>(topics.status(), "mocker@" + instance, m.toString()));
        }
    }

    ObjectNode snapshot(String provider, int concurrency) {
        ObjectNode n = json.createObjectNode();
        n.put("provider", provider);
        n.put("instance", instance);
        ObjectNode circuits = json.createObjectNode();
        int worst = -1;
        for (Gauge g : meters.find(CircuitBreakers.STATE_GAUGE)
                .tag("provider", provider)
                .gauges()) {
            int order = (int) g.value();
            circuits.put(g.getId().getTag("model"), STATES.getOrDefault(order, "UNKNOWN"));
            worst = Math.max(worst, SEVERITY.getOrDefault(order, 0) * 10 + order);
        }
        // the provider's state is its worst breaker's (open before half-open before closed); CLOSED before any call
        n.put("circuit_state", worst < 0 ? "CLOSED" : STATES.getOrDefault(worst % 10, "UNKNOWN"));
        n.set("circuits", circuits);
        n.put("in_flight", gate.inFlight(provider));
        n.put("permits", concurrency);
        n.put("queued", Math.max(0, gate.backlog(provider) - gate.inFlight(provider)));
        n.put("last_error_class", lastErrorClass(provider));
        n.put("at", clock.millis());
        return n;
    }

    /** The failure class whose attempt counter for {@code provider} grew most recently. */
    private String lastErrorClass(String provider) {
        List<Counter> counters = List.copyOf(
                meters.find("relay.attempts").tag("provider", provider).counters());
        for (Counter c : counters) {
            String cls = c.getId().getTag("class");
            if (cls == null || cls.equals("SUCCESS")) {
                continue;
            }
            String id = provider + "|" + cls + "|" + c.getId().getTag("model") + "|"
                    + c.getId().getTag("decision");
            double now = c.count();
            Double before = lastCounts.put(id, now);
            if (before == null ? now > 0 && !lastError.containsKey(provider) : now > before) {
                lastError.put(provider, cls);
            }
        }
        return lastError.get(provider);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        producer.close(Duration.ofSeconds(2));
    }
}
