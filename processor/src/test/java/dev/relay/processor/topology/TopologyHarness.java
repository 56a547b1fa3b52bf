package dev.relay.processor.topology;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.metrics.ProcessorMetrics;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.routing.Breakers;
import dev.relay.processor.routing.CallPolicy;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * A TopologyTestDriver around the real topology with scripted providers and the production call policy, seeded. Key
 * {@code a2} is a standby (weight 0), so every job of {@code alpha} calls {@code a1} first and {@code a2} only after
 * {@code a1} failed.
 */
final class TopologyHarness implements AutoCloseable {

    static final String CONFIG = """
            {
              "providers": {
                "alpha": {"type": "mock", "keys": [{"name": "a1", "value": "sk-a1", "weight": 1},
                                                   {"name": "a2", "value": "sk-a2", "weight": 0}],
                          "network_config": {"max_retries": 2, "retry_backoff_initial": "10ms", "retry_backoff_max": "10ms"}},
                "beta":  {"type": "mock", "network_config": {"max_retries": 1, "retry_backoff_initial": "10ms", "retry_backoff_max": "10ms"}},
                "gamma": {"type": "mock", "concurrency_and_buffer_size": {"concurrency": 2, "buffer_size": 100}}
              }
            }
            """;

    /** Circuit breakers the test opens by hand: a provider in {@link #open} is skipped. */
    static final class StubBreakers implements Breakers {
        final Set<String> open = ConcurrentHashMap.newKeySet();

        @Override
        public boolean tryAcquire(String provider, String model, int attemptOnTarget) {
            return !open.contains(provider);
        }

        @Override
        public void onSuccess(String provider, String model, Duration latency) {}

        @Override
        public void onFailure(String provider, String model, FailureClass failure, Duration latency) {}

        @Override
        public void release(String provider, String model) {}
    }

    /** The production policy with the failure table's defaults, a seeded generator and {@code breakers}. */
    static CallPolicy policy(Breakers breakers) {
        return new CallPolicy(RetryPolicy.defaults(), breakers, new SplittableRandom(14));
    }

    final Topics topics = new Topics("t.", 2);
    final RelayConfig config;
    final Map<String, ScriptedProvider> providers = new LinkedHashMap<>();
    final StubBreakers breakers = new StubBreakers();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final RelaySerdes serdes;
    final TopologyTestDriver driver;
    final TestInputTopic<String, Job> jobs;
    final TestInputTopic<String, byte[]> rawJobs;
    final TestOutputTopic<String, JobResult> results;
    final TestOutputTopic<String, AttemptRecord> attempts;
    final TestOutputTopic<String, FailedJob> failed;
    final TestOutputTopic<String, Job> hop1;
    final TestOutputTopic<byte[], byte[]> deadletter;

    TopologyHarness(InMemorySchemaRegistry registry, Path stateDir) {
        this(registry, stateDir, null);
    }

    /**
     * {@code disk} non-null: the in-flight stores keep their data there across drivers (the driver wipes its state
     * dir on close, so a restart test needs stores whose contents outlive it, as RocksDB and the changelog do).
     */
    TopologyHarness(InMemorySchemaRegistry registry, Path stateDir, Map<String, SurvivingStore.Disk> disk) {
        this(registry, stateDir, disk, EarlyCalls.disabled());
    }

    /** {@code early}: the fast fallback path's registry (disabled unless a test turns it on). */
    TopologyHarness(
            InMemorySchemaRegistry registry, Path stateDir, Map<String, SurvivingStore.Disk> disk, EarlyCalls early) {
        this(registry, stateDir, disk, early, CONFIG, Map.of());
    }

    /** {@code configJson} instead of {@link #CONFIG}, and these providers' batch APIs (the batch tier's tests). */
    TopologyHarness(
            InMemorySchemaRegistry registry,
            Path stateDir,
            Map<String, SurvivingStore.Disk> disk,
            EarlyCalls early,
            String configJson,
            Map<String, dev.relay.processor.provider.batch.BatchApi> batchApis) {
        config = new ConfigLoader(n -> Optional.empty()).parse(configJson, "test");
        for (String name : config.providers().keySet()) {
            providers.put(name, new ScriptedProvider(name));
        }
        serdes = RelaySerdes.create(SchemaRegistryClient.create(registry.url()));
        Map<String, ProviderClient> clients = Map.copyOf(providers);
        FallbackServices services = FallbackServices.onCallingThread(
                config.providers(),
                clients,
                policy(breakers),
                new ProviderGate(config.providers()),
                new ProcessorMetrics(meters),
                Duration.ofMillis(5),
                Duration.ofMillis(50),
                early,
                batchApis);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadletter());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class);
        var stores = disk == null
                ? FallbackTopology.PERSISTENT
                : (java.util.function.Function<String, org.apache.kafka.streams.state.KeyValueBytesStoreSupplier>)
                        name -> SurvivingStore.supplier(name, disk);
        driver = new TopologyTestDriver(
                FallbackTopology.build(topics, serdes, services, stores), props, Instant.ofEpochMilli(1_000_000));
        jobs = driver.createInputTopic(
                topics.jobs(), new StringSerializer(), serdes.job().serializer());
        rawJobs = driver.createInputTopic(topics.jobs(), new StringSerializer(), new ByteArraySerializer());
        results = driver.createOutputTopic(
                topics.results(), new StringDeserializer(), serdes.result().deserializer());
        attempts = driver.createOutputTopic(
                topics.attempts(), new StringDeserializer(), serdes.attempt().deserializer());
        failed = driver.createOutputTopic(
                topics.failed(), new StringDeserializer(), serdes.failed().deserializer());
        hop1 = driver.createOutputTopic(
                topics.hop(1), new StringDeserializer(), serdes.job().deserializer());
        deadletter =
                driver.createOutputTopic(topics.deadletter(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    ScriptedProvider provider(String name) {
        return providers.get(name);
    }

    /** Lets wall-clock time pass in punctuator-sized steps, so completions drain and retries come due. */
    void advance(Duration d) {
        for (long t = 0; t < d.toMillis(); t += 5) {
            driver.advanceWallClockTime(Duration.ofMillis(5));
        }
    }

    /**
     * Lets time pass until everything settles. The driver pipes what the topology writes to a hop topic back into
     * that hop's sub-topology itself (hop topics are source topics), as the broker would.
     */
    void run() {
        advance(Duration.ofMillis(500));
    }

    static Job job(String id, String... chain) {
        List<Target> targets = Arrays.stream(chain)
                .map(s -> {
                    String[] pm = s.split("/", 2);
                    return Target.newBuilder()
                            .setProvider(pm[0])
                            .setModel(pm[1])
                            .build();
                })
                .toList();
        Message user = Message.newBuilder()
                .setRole("user")
                .setContent(List.of(ContentPart.newBuilder()
                        .setType("text")
                        .setText("say hi")
                        .build()))
                .build();
        return Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(Instant.ofEpochMilli(999_000))
                .setRequest(ChatRequest.newBuilder().setMessages(List.of(user)).build())
                .setChain(targets)
                .build();
    }

    void submit(Job job) {
        jobs.pipeInput(job.getJobId(), job);
    }

    @Override
    public void close() {
        driver.close();
    }
}
