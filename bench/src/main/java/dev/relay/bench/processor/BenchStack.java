package dev.relay.bench.processor;

import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Job;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.Request;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The local pieces every processor benchmark needs: a real broker, a registry, topics, jobs, a results counter. */
final class BenchStack implements AutoCloseable {

    final Path dir;
    final EmbeddedKafkaBroker broker;
    final InMemorySchemaRegistry registry;
    final RelaySerdes serdes;

    BenchStack() throws Exception {
        this(java.util.Map.of());
    }

    /** With broker settings that override the embedded broker's defaults. */
    BenchStack(java.util.Map<String, String> brokerOverrides) throws Exception {
        dir = Files.createTempDirectory("relay-bench");
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, brokerOverrides);
        registry = InMemorySchemaRegistry.start();
        serdes = RelaySerdes.create(SchemaRegistryClient.create(registry.url()));
    }

    Topics topics(int partitions) {
        Topics t = new Topics("b" + UUID.randomUUID().toString().substring(0, 6) + ".", 2);
        TopicSetup.createAll(broker.bootstrapServers(), t, partitions);
        return t;
    }

    String config(Topics topics, String appId, String providers, String kafkaExtra) {
        return """
                {
                  "providers": { %s },
                  "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                            "max_fallbacks": %d, "application_id": "%s", "state_dir": "%s" %s},
                  "circuit_breaker": {"enabled": false},
                  "metrics": {"port": %%d}
                }
                """.formatted(
                        providers,
                        broker.bootstrapServers(),
                        registry.url(),
                        topics.prefix(),
                        topics.maxHops(),
                        appId,
                        dir.resolve("state-" + appId),
                        kafkaExtra);
    }

    static Job job(String id, List<String> chain) {
        Message user = Message.newBuilder()
                .setRole("user")
                .setContent(List.of(ContentPart.newBuilder()
                        .setType("text")
                        .setText("Say hello in one word.")
                        .build()))
                .build();
        return Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(Instant.now())
                .setRequest(ChatRequest.newBuilder()
                        .setMessages(List.of(user))
                        .setUser(id)
                        .setMaxTokens(16)
                        .build())
                .setChain(chain.stream()
                        .map(s -> Target.newBuilder()
                                .setProvider(s.split("/")[0])
                                .setModel(s.split("/")[1])
                                .build())
                        .toList())
                .build();
    }

    /**
     * A local OpenAI-format provider that answers every call after {@code delayMs} with {@code status} (200: a small
     * completion; otherwise a server error). Benchmarks put the job id in the request's {@code user} field.
     */
    static FakeProvider provider(long delayMs, int status) {
        Reply reply = status == 200 ? Reply.ok() : Reply.error(status, "server_error", "bench failure");
        return FakeProvider.start().reply(reply.after(Duration.ofMillis(delayMs)));
    }

    /** The first recorded request of each job whose id starts with {@code prefix}, by job id. */
    static Map<String, Request> firstRequests(FakeProvider provider, String prefix) {
        Map<String, Request> first = new HashMap<>();
        for (Request r : provider.requests()) {
            if (r.user().startsWith(prefix)) {
                first.putIfAbsent(r.user(), r);
            }
        }
        return first;
    }

    /** The 1, 5 and 15 minute load averages (Linux), to judge how busy the shared machine was. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (Exception e) {
            return "n/a";
        }
    }

    KafkaProducer<String, Job> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        return new KafkaProducer<>(p, new StringSerializer(), serdes.job().serializer());
    }

    void produce(Topics topics, String prefix, int n, List<String> chain) {
        try (var producer = producer()) {
            for (int i = 0; i < n; i++) {
                String id = prefix + i;
                producer.send(new ProducerRecord<>(topics.jobs(), id, job(id, chain)));
            }
            producer.flush();
        }
    }

    /** Counts distinct result keys (read_committed) on a background thread, with the time of the first and last. */
    static final class ResultCounter implements AutoCloseable {
        final ConcurrentHashMap<String, Long> seenAt = new ConcurrentHashMap<>();
        final AtomicLong records = new AtomicLong();
        volatile long firstNanos;
        volatile long lastNanos;
        private volatile boolean stop;
        private final Thread thread;

        ResultCounter(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + UUID.randomUUID());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            thread = Thread.ofPlatform().name("result-counter").start(() -> {
                try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                    c.subscribe(List.of(topic));
                    while (!stop) {
                        for (var r : c.poll(Duration.ofMillis(50))) {
                            long now = System.nanoTime();
                            records.incrementAndGet();
                            if (seenAt.putIfAbsent(r.key(), now) == null) {
                                if (firstNanos == 0) {
                                    firstNanos = now;
                                }
                                lastNanos = now;
                            }
                        }
                    }
                }
            });
        }

        int distinct() {
            return seenAt.size();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5_000);
        }
    }

    @Override
    public void close() {
        registry.close();
        broker.close();
    }
}
