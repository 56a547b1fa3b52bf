package dev.relay.processor.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Decision;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A primary model that answers 503 for a while and then recovers, with its fallback on the same provider's other model
 * ({@code fake/a} falling back to {@code fake/b}) and a steady trickle of jobs. Every job is served during the outage
 * (the model's breaker never blocks the other model), and the primary answers again within 30 s of its recovery.
 *
 * <p>Timings are shortened so the test takes seconds. {@code -Dflap.outage=60s -Dflap.breaker={}} runs it with a
 * one-minute outage and the default breaker settings; the counts are printed either way.
 */
@Tag("it")
@Timeout(300)
class FlappingPrimaryIT {

    private static final Logger log = LoggerFactory.getLogger(FlappingPrimaryIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final Duration RETURN_LIMIT = Duration.ofSeconds(30);
    private static final Duration OUTAGE =
            Duration.parse("PT" + System.getProperty("flap.outage", "4s").toUpperCase());
    private static final Duration INTERVAL = Duration.ofMillis(Long.getLong("flap.intervalMs", 100));
    private static final String BREAKER = System.getProperty(
            "flap.breaker", "{\"sliding_window_size\": 10, \"minimum_calls\": 4, \"wait_in_open\": \"1s\"}");

    @TempDir
    Path stateDir;

    /** One job as sent: when, and in which phase. */
    private record Sent(String jobId, long atNanos, String phase) {}

    @Test
    void shouldServeEveryJobDuringTheOutageAndReturnToThePrimaryAfterIt() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        AtomicLong outageStart = new AtomicLong(Long.MAX_VALUE); // System.nanoTime
        AtomicLong outageEnd = new AtomicLong(Long.MAX_VALUE);
        Reply ok = Reply.ok().after(Duration.ofMillis(5));
        try (FakeProvider fake = FakeProvider.start().script(request -> {
            long now = System.nanoTime();
            boolean down = request.model().equals("a") && now >= outageStart.get() && now < outageEnd.get();
            return down ? Reply.error(503) : ok;
        })) {
            String providers = """
                    "fake": {"type": "openai", "keys": [{"name": "k1", "value": "sk-fake"}],
                             "network_config": {"base_url": "%s", "default_request_timeout_in_seconds": 5,
                                                "max_retries": 2, "retry_backoff_initial": 20, "retry_backoff_max": 100}}
                    """.formatted(fake.baseUrl());
            var config = RelayIt.config(RelayIt.configJson(
                    STACK.bootstrapServers(),
                    STACK.registryUrl(),
                    topics,
                    RelayIt.appId(),
                    stateDir,
                    providers,
                    "",
                    BREAKER));
            List<Sent> sent = new ArrayList<>();
            long recoveredAt;
            try (RelayProcessor processor = RelayProcessor.start(config);
                    var producer = new KafkaProducer<>(
                            producerProps(),
                            new StringSerializer(),
                            serdes.job().serializer())) {
                Trickle trickle = new Trickle(producer, topics.jobs(), sent);
                // until the processor runs and the primary has answered a few jobs
                trickle.run("warm-up", Duration.ofSeconds(60), () -> primaryOkSince(fake, Long.MIN_VALUE) >= 5);
                int warmUp = sent.size();
                await().atMost(Duration.ofSeconds(10)).until(() -> primaryOkSince(fake, Long.MIN_VALUE) >= warmUp);
                long start = System.nanoTime();
                outageEnd.set(start + OUTAGE.toNanos());
                outageStart.set(start);
                trickle.run("outage", OUTAGE, () -> false);
                recoveredAt = outageEnd.get();
                // keep the trickle going until the primary has answered a few jobs again, at most RETURN_LIMIT + 5 s
                trickle.run("recovery", RETURN_LIMIT.plusSeconds(5), () -> primaryOkSince(fake, recoveredAt) >= 5);
                List<JobResult> results =
                        RelayIt.results(STACK.bootstrapServers(), serdes, topics, sent.size(), Duration.ofSeconds(60));
                List<AttemptRecord> audit = RelayIt.attempts(STACK.bootstrapServers(), serdes, topics, sent.size());
                report(sent, results, audit, fake, recoveredAt);
            }
        }
    }

    private void report(
            List<Sent> sent, List<JobResult> results, List<AttemptRecord> audit, FakeProvider fake, long recoveredAt) {
        Map<String, JobResult> byJob =
                results.stream().collect(Collectors.toMap(r -> r.getJobId().toString(), r -> r, (x, y) -> x));
        assertThat(results).as("exactly one result per job").hasSize(sent.size());
        Map<String, Long> phases = sent.stream().collect(Collectors.groupingBy(Sent::phase, Collectors.counting()));
        Map<String, Map<String, Long>> servedBy = new ConcurrentHashMap<>();
        for (Sent s : sent) {
            JobResult r = byJob.get(s.jobId());
            assertThat(r).as("result of %s", s.jobId()).isNotNull();
            assertThat(r.getStatus()).as("%s (%s) served", s.jobId(), s.phase()).isEqualTo(JobStatus.SUCCEEDED);
            servedBy.computeIfAbsent(s.phase(), p -> new ConcurrentHashMap<>())
                    .merge(String.valueOf(r.getModel()), 1L, Long::sum);
        }
        long outage503 = fake.requests().stream()
                .filter(s -> s.model().equals("a") && s.status() == 503)
                .count();
        long skipped = audit.stream()
                .filter(a -> a.getDecision() == Decision.SKIPPED_CIRCUIT_OPEN)
                .count();
        OptionalLong back = fake.requests().stream()
                .filter(s -> s.model().equals("a") && s.status() == 200 && s.receivedAtNanos() >= recoveredAt)
                .mapToLong(Request::receivedAtNanos)
                .min();
        assertThat(back).as("the primary answered again after its recovery").isPresent();
        long backMs = TimeUnit.NANOSECONDS.toMillis(back.getAsLong() - recoveredAt);
        log.info(
                "flapping primary: breaker {}, outage {}, one job every {} ms\n"
                        + "  jobs sent {}; every job SUCCEEDED: {} of {}\n"
                        + "  served by model, per phase: {}\n"
                        + "  calls to fake/a answered 503: {}; attempts skipped (circuit open): {}\n"
                        + "  first call to fake/a answered 200 after recovery: {} ms after it",
                BREAKER,
                OUTAGE,
                INTERVAL.toMillis(),
                phases,
                results.size(),
                sent.size(),
                servedBy,
                outage503,
                skipped,
                backMs);
        assertThat(servedBy.get("outage"))
                .as("the fallback model answered during the outage")
                .containsKey("b");
        assertThat(servedBy.get("warm-up"))
                .as("before the outage the primary answered")
                .containsOnlyKeys("a");
        assertThat(skipped).as("the open breaker spared the primary calls").isPositive();
        assertThat(Duration.ofMillis(backMs)).isLessThanOrEqualTo(RETURN_LIMIT);
        List<Sent> recovery =
                sent.stream().filter(s -> s.phase().equals("recovery")).toList();
        assertThat(byJob.get(recovery.getLast().jobId()).getModel().toString())
                .as("the last job after recovery was answered by the primary")
                .isEqualTo("a");
    }

    private static long primaryOkSince(FakeProvider fake, long since) {
        return fake.requests().stream()
                .filter(s -> s.model().equals("a") && s.status() == 200 && s.receivedAtNanos() >= since)
                .count();
    }

    private static Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return p;
    }

    /** Sends one job every {@link #INTERVAL} (chain {@code fake/a}, {@code fake/b}) and notes when. */
    private record Trickle(KafkaProducer<String, Job> producer, String topic, List<Sent> sent) {

        /** For {@code length}, or until {@code done} says so. */
        void run(String phase, Duration length, BooleanSupplier done) throws Exception {
            long end = System.nanoTime() + length.toNanos();
            while (System.nanoTime() < end && !done.getAsBoolean()) {
                String id = phase + "-" + sent.size();
                long at = System.nanoTime();
                Job job = RelayIt.job(id, List.of("fake/a", "fake/b"));
                producer.send(new ProducerRecord<>(topic, id, job)).get();
                sent.add(new Sent(id, at, phase));
                long sleep = INTERVAL.toNanos() - (System.nanoTime() - at);
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                }
            }
        }
    }
}
