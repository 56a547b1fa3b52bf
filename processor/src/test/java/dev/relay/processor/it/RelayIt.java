package dev.relay.processor.it;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the processor ITs share: a config for the test stack, producing jobs, reading outputs read_committed. Also in
 * the processor's test-jar, for the launcher's ITs that run the processor through {@code RelayMain}.
 */
public final class RelayIt {

    private RelayIt() {}

    /** A config JSON for the test stack; {@code providers} is the JSON of the providers section's body. */
    public static String configJson(
            String bootstrap,
            String registryUrl,
            Topics topics,
            String appId,
            Path stateDir,
            String providers,
            String extraKafka) {
        return configJson(
                bootstrap, registryUrl, topics, appId, stateDir, providers, extraKafka, "{\"enabled\": false}");
    }

    /** As above, with {@code circuitBreaker} as the JSON of the {@code circuit_breaker} section. */
    public static String configJson(
            String bootstrap,
            String registryUrl,
            Topics topics,
            String appId,
            Path stateDir,
            String providers,
            String extraKafka,
            String circuitBreaker) {
        return """
                {
                  "providers": { %s },
                  "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                            "max_fallbacks": %d, "application_id": "%s", "state_dir": "%s",
                            "commit_interval": "20ms", "poll_interval": "5ms" %s},
                  "circuit_breaker": %s,
                  "metrics": {"port": 0}
                }
                """.formatted(
                        providers,
                        bootstrap,
                        registryUrl,
                        topics.prefix(),
                        topics.maxHops(),
                        appId,
                        stateDir.toString().replace("\\", "/"),
                        extraKafka,
                        circuitBreaker);
    }

    public static RelayConfig config(String json) {
        return new ConfigLoader(n -> Optional.empty()).parse(json, "it");
    }

    public static String appId() {
        return "it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static Job job(String id, List<String> chain) {
        Message user = Message.newBuilder()
                .setRole("user")
                .setContent(List.of(ContentPart.newBuilder()
                        .setType("text")
                        .setText("hello")
                        .build()))
                .build();
        List<Target> targets = chain.stream()
                .map(s -> {
                    String[] pm = s.split("/", 2);
                    return Target.newBuilder()
                            .setProvider(pm[0])
                            .setModel(pm[1])
                            .build();
                })
                .toList();
        return Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(Instant.now())
                // the fake provider tells jobs apart by the OpenAI "user" field
                .setRequest(ChatRequest.newBuilder()
                        .setMessages(List.of(user))
                        .setUser(id)
                        .build())
                .setChain(targets)
                .build();
    }

    /** The chain of the batch tier's items: OpenAI's batch API, then Anthropic's. */
    public static final List<String> BATCH_CHAIN = List.of("openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest");

    /** {@code n} items of the 24 h batch {@code batchId} ({@code prefix0}, {@code prefix1}, ...), each down {@code chain}. */
    public static List<Job> batchItems(String prefix, int n, String batchId, List<String> chain) {
        return IntStream.range(0, n)
                .mapToObj(i -> {
                    Job j = job(prefix + i, chain);
                    j.setCompletionWindow("24h");
                    j.setBatchId(batchId);
                    return j;
                })
                .toList();
    }

    public static void produce(String bootstrap, RelaySerdes serdes, Topics topics, List<Job> jobs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (var producer =
                new KafkaProducer<>(p, new StringSerializer(), serdes.job().serializer())) {
            for (Job j : jobs) {
                producer.send(new ProducerRecord<>(topics.jobs(), j.getJobId(), j));
            }
            producer.flush();
        }
    }

    public static RelaySerdes serdes(String registryUrl) {
        return RelaySerdes.create(SchemaRegistryClient.create(registryUrl));
    }

    /** Reads {@code topic} read_committed from the start until {@code distinct} keys were seen plus a quiet second. */
    public static <T> List<T> readUntil(
            String bootstrap, String topic, Deserializer<T> values, int distinct, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<T> out = new ArrayList<>();
        Map<String, Integer> keys = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            long until = System.nanoTime() + timeout.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(until, quietUntil)) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                    keys.merge(r.key(), 1, Integer::sum);
                }
                if (keys.size() >= distinct && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(1).toNanos(); // catch late duplicates
                }
            }
        }
        return out;
    }

    public static List<JobResult> results(
            String bootstrap, RelaySerdes serdes, Topics topics, int jobs, Duration timeout) {
        return readUntil(bootstrap, topics.results(), serdes.result().deserializer(), jobs, timeout);
    }

    public static List<AttemptRecord> attempts(String bootstrap, RelaySerdes serdes, Topics topics, int jobs) {
        return readUntil(bootstrap, topics.attempts(), serdes.attempt().deserializer(), jobs, Duration.ofSeconds(20));
    }
}
