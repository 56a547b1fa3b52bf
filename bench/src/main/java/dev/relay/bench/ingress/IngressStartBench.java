package dev.relay.bench.ingress;

import dev.relay.bench.ChildJvm;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.Decision;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How long the ingress takes to start when the results topic holds many results. The embedded broker and an
 * in-memory registry run here; {@code N} results (default 1,000,000) are written to the results topic; then the ingress
 * ({@code RelayMain ingress}, a JVM of its own, {@code -Xmx512m}) is started three times on the same state dir:
 * <ol>
 *   <li>with an empty state dir: it reads the whole topic (what every start did before the view was kept on disk);</li>
 *   <li>again, after a clean stop, with nothing new on the topic;</li>
 *   <li>again, after 10,000 more results were written while it was down.</li>
 * </ol>
 * Each start is timed from the launch of the JVM to its "listening" line (the ingress opens its port only once its
 * view has caught up), and its catch-up gauge is read from {@code /metrics}.
 *
 * <pre>
 * java -Xmx2g -cp "$CP" dev.relay.bench.ingress.IngressStartBench [results] [report]
 * </pre>
 */
public final class IngressStartBench {

    private IngressStartBench() {}

    public static void main(String[] args) throws Exception {
        System.getProperties().putIfAbsent("logback.configurationFile", "dev/relay/bench/processor/logback-bench.xml");
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/reports/ingress-start.md");
        String load = loadAverage();
        Path dir = Files.createTempDirectory("relay-bench-start");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                InMemorySchemaRegistry registry = InMemorySchemaRegistry.start()) {
            Topics topics = new Topics("start.", Topics.DEFAULT_MAX_HOPS);
            TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
            RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(registry.url()));
            long t0 = System.nanoTime();
            produce(broker.bootstrapServers(), serdes, topics, "r-", n);
            System.out.printf("%,d results written in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);

            int port = ChildJvm.freePort();
            Path config = dir.resolve("ingress.json");
            Files.writeString(
                    config, """
                    {"providers": {"mock": {"type": "mock", "keys": []}}, "metrics": {"port": 0},
                     "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "start.",
                               "state_dir": "%s"},
                     "ingress": {"port": %d}}
                    """.formatted(broker.bootstrapServers(), registry.url(), dir.resolve("state"), port));
            List<String> rows = new ArrayList<>();
            rows.add(start(config, dir, port, 1, "empty state dir: the whole topic (as every start did before)"));
            rows.add(start(config, dir, port, 2, "restart, nothing new"));
            produce(broker.bootstrapServers(), serdes, topics, "late-", 10_000);
            rows.add(start(config, dir, port, 3, "restart after 10,000 new results"));

            String md = """

                    ## %s: %,d results on the topic

                    `IngressStartBench %d`, load average (1/5/15 min) before: %s, after: %s (2 cores, shared).

                    | start | JVM launch → listening | results read to catch up (gauge) | view on disk after |
                    |---|---|---|---|
                    %s
                    """.formatted(Instant.now(), n, n, load, loadAverage(), String.join("\n", rows));
            Files.createDirectories(report.toAbsolutePath().getParent());
            if (!Files.exists(report)) {
                Files.writeString(report, """
                        # Ingress start time with many results

                        Program: `bench/src/main/java/dev/relay/bench/ingress/IngressStartBench.java` (see its javadoc).
                        The ingress keeps its results view and its positions on the results topic on disk
                        (`ingress-results/` under `kafka.state_dir`), so a restart reads only what was written
                        since; an empty state dir reads the whole topic, which is what every start did before.
                        """);
            }
            Files.writeString(report, md, StandardOpenOption.APPEND);
            System.out.println(md);
        }
        System.exit(0);
    }

    private static String start(Path config, Path dir, int port, int k, String what) throws Exception {
        Path log = dir.resolve("ingress-" + k + ".log");
        long t0 = System.nanoTime();
        Process p = ChildJvm.start(ChildJvm.INGRESS, List.of("-Xmx512m"), config, log);
        try {
            ChildJvm.awaitLine(log, "relay ingress listening", p, Duration.ofMinutes(10));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            long caughtUp = metrics.lines()
                    .filter(l -> l.startsWith("relay_ingress_results_catch_up_records"))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .findFirst()
                    .orElse(-1);
            System.out.printf("start %d (%s): listening after %,d ms, %,d results read%n", k, what, ms, caughtUp);
            return String.format("| %d. %s | **%,d ms** | %,d | |", k, what, ms, caughtUp);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            long bytes;
            try (var files = Files.walk(dir.resolve("state"))) {
                bytes = files.filter(Files::isRegularFile)
                        .mapToLong(f -> f.toFile().length())
                        .sum();
            }
            System.out.printf("state dir after start %d: %,d MB%n", k, bytes >> 20);
        }
    }

    private static void produce(String bootstrap, RelaySerdes serdes, Topics topics, String prefix, int n) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "524288");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (var producer =
                new KafkaProducer<>(p, new StringSerializer(), serdes.result().serializer())) {
            for (int i = 0; i < n; i++) {
                String id = prefix + i;
                producer.send(new ProducerRecord<>(topics.results(), id, result(id)));
            }
            producer.flush();
        }
    }

    /** A small succeeded result, like the processor writes for a one-attempt job. */
    static JobResult result(String id) {
        Instant now = Instant.now();
        return JobResult.newBuilder()
                .setJobId(id)
                .setStatus(JobStatus.SUCCEEDED)
                .setResponseJson("{\"id\":\"c-" + id + "\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}")
                .setProvider("mock")
                .setModel("echo")
                .setHop(0)
                .setSubmittedAt(now)
                .setCompletedAt(now)
                .setTotalLatencyMs(12)
                .setAttemptCount(1)
                .setAttempts(List.of(AttemptSummary.newBuilder()
                        .setHop(0)
                        .setAttempt(1)
                        .setProvider("mock")
                        .setModel("echo")
                        .setOutcome(OutcomeClass.SUCCESS)
                        .setHttpStatus(200)
                        .setStartedAt(now)
                        .setLatencyMs(12)
                        .setDecision(Decision.RETURNED)
                        .build()))
                .build();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (Exception e) {
            return "n/a";
        }
    }
}
