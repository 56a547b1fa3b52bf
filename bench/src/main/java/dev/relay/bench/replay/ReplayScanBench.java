package dev.relay.bench.replay;

import dev.relay.replay.JobFilter;
import dev.relay.replay.KafkaClients;
import dev.relay.replay.ScanStats;
import dev.relay.replay.Selection;
import dev.relay.replay.TopicScanner;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.Message;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How fast the replay tool scans and filters relay.failed. Writes N realistic FailedJob records (a two-message
 * request, a three-target chain, three attempts) with the real serde to a real broker, then times the selection
 * (fetch, decode every record, filter, de-duplicate) several times. Target: at least 50,000 records/s.
 *
 * <p>Run from the repository root: see bench/reports/replay-scan.md for the command. Args: {@code [records]
 * [partitions] [runs] [scan threads]}, defaults 100000 6 5 min(4, cores). Starts its own broker and registry (in-memory) unless
 * {@code RELAY_BOOTSTRAP} and {@code RELAY_REGISTRY} point at a running stack.
 */
public final class ReplayScanBench {

    private static final OutcomeClass[] CLASSES = {
        OutcomeClass.TRANSIENT, OutcomeClass.RATE_LIMITED, OutcomeClass.TIMEOUT, OutcomeClass.AUTH
    };

    private ReplayScanBench() {}

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int threads = args.length > 3
                ? Integer.parseInt(args[3])
                : Math.min(4, Runtime.getRuntime().availableProcessors()); // the tool's default
        String bootstrap = System.getenv("RELAY_BOOTSTRAP");
        String registryUrl = System.getenv("RELAY_REGISTRY");
        Path data = Files.createTempDirectory("replay-bench");
        EmbeddedKafkaBroker broker = null;
        ApicurioRegistry registry = null;
        try {
            if (bootstrap == null || registryUrl == null) {
                broker = EmbeddedKafkaBroker.start(data.resolve("kafka"), 0);
                registry = ApicurioRegistry.start(null, 0);
                bootstrap = broker.bootstrapServers();
                registryUrl = registry.ccompatUrl();
            }
            run(bootstrap, registryUrl, records, partitions, runs, threads);
        } finally {
            if (registry != null) {
                registry.close();
            }
            if (broker != null) {
                broker.close();
            }
        }
    }

    private static void run(String bootstrap, String registryUrl, int records, int partitions, int runs, int threads)
            throws IOException {
        Topics topics = new Topics("bench" + System.currentTimeMillis() % 100_000 + ".", Topics.DEFAULT_MAX_HOPS);
        TopicSetup.createAll(bootstrap, topics, partitions);
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(registryUrl));
        long produceStarted = System.nanoTime();
        long bytes = produce(bootstrap, serdes, topics, records);
        double produceSecs = (System.nanoTime() - produceStarted) / 1e9;
        System.out.printf(
                "produced %,d FailedJob records (%,d bytes, %.0f B/record) in %.1f s%n",
                records, bytes, (double) bytes / records, produceSecs);

        KafkaClients clients = new KafkaClients(bootstrap, registryUrl, Duration.ofSeconds(30), Map.of());
        // the filter an operator would use after an outage: two classes, one tenant (3 of 4 tenants' failures)
        JobFilter filter = new JobFilter(
                Set.of(),
                Set.of(OutcomeClass.TRANSIENT, OutcomeClass.RATE_LIMITED),
                Set.of(),
                Set.of(),
                Set.of(),
                Set.of("tenant-1"));
        List<Double> rates = new ArrayList<>();
        List<Double> cpuRates = new ArrayList<>();
        var os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        int matched = 0;
        double cold = 0;
        for (int i = 0;
                i <= runs;
                i++) { // run 0 is the cold one (what a fresh `relay replay` JVM sees): not in the median
            Selection selection =
                    new Selection(new TopicScanner(clients::consumer, clients.timeout(), threads), serdes, topics);
            long started = System.nanoTime();
            long cpuStarted = os.getProcessCpuTime();
            Selection.Result result = selection.select(null, null, filter, false);
            double secs = (System.nanoTime() - started) / 1e9;
            double cpuSecs = (os.getProcessCpuTime() - cpuStarted) / 1e9;
            ScanStats scan = result.scans().get(0);
            matched = result.candidates().size();
            double rate = scan.recordsRead() / secs;
            if (i == 0) {
                cold = rate;
            } else {
                rates.add(rate);
                cpuRates.add(scan.recordsRead() / cpuSecs);
            }
            System.out.printf(
                    "run %d%s: scanned %,d records, decoded %,d, matched %,d in %.2f s: %,.0f records/s "
                            + "(%.2f s CPU in the whole JVM, broker included: %,.0f records per CPU-second)%n",
                    i,
                    i == 0 ? " (cold)" : "",
                    scan.recordsRead(),
                    scan.recordsDecoded(),
                    matched,
                    secs,
                    rate,
                    cpuSecs,
                    scan.recordsRead() / cpuSecs);
        }
        // the floor Kafka sets: the same scan reading every record but decoding none
        List<Double> fetchOnly = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TopicScanner scanner = new TopicScanner(clients::consumer, clients.timeout(), threads);
            long started = System.nanoTime();
            ScanStats scan = scanner.scan(topics.failed(), null, r -> TopicScanner.Outcome.SKIPPED);
            fetchOnly.add(scan.recordsRead() / ((System.nanoTime() - started) / 1e9));
        }
        double fetchMedian = fetchOnly.stream().sorted().toList().get(1);
        System.out.printf("fetch only (no decoding): median %,.0f records/s%n", fetchMedian);
        List<Double> sorted = rates.stream().sorted().toList();
        double median = sorted.get(sorted.size() / 2);
        double best = sorted.get(sorted.size() - 1);
        double worst = sorted.get(0);
        String verdict = median >= 50_000 ? "meets" : "MISSES";
        double cpuMedian = cpuRates.stream().sorted().toList().get(cpuRates.size() / 2);
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage();
        System.out.printf(
                "median %,.0f records/s (best %,.0f, worst %,.0f); target 50,000: %s; "
                        + "median %,.0f records per CPU-second; load average %.1f%n",
                median, best, worst, verdict, cpuMedian, load);
        writeReport(
                records,
                partitions,
                runs,
                threads,
                bytes,
                matched,
                median,
                best,
                worst,
                cold,
                verdict,
                cpuMedian,
                load,
                fetchMedian);
    }

    private static long produce(String bootstrap, RelaySerdes serdes, Topics topics, int records) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000); // a loaded shared machine must not drop records
        long bytes = 0;
        java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
        Instant now = Instant.now();
        List<Target> chain = List.of(
                new Target("openai", "gpt-4o-mini"),
                new Target("anthropic", "claude-haiku-4-5"),
                new Target("gemini", "gemini-2.5-flash"));
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                FailedJob f = failedJob("job-" + i, "tenant-" + (i % 4), CLASSES[i % CLASSES.length], chain, now);
                byte[] value = serdes.failed().serialize(topics.failed(), f);
                bytes += value.length;
                producer.send(new ProducerRecord<>(topics.failed(), f.getJob().getJobId(), value), (md, e) -> {
                    if (e != null) {
                        failures.incrementAndGet();
                    }
                });
            }
            producer.flush();
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " of " + records + " sends failed; machine overloaded?");
        }
        return bytes;
    }

    private static FailedJob failedJob(String id, String tenant, OutcomeClass cls, List<Target> chain, Instant at) {
        ChatRequest request = ChatRequest.newBuilder()
                .setMessages(
                        List.of(
                                message("system", "You are a helpful assistant that answers briefly and precisely."),
                                message(
                                        "user",
                                        "Summarise the attached incident report for job " + id
                                                + " in three bullet points, naming the affected services and the time to recovery.")))
                .setTemperature(0.2)
                .setMaxTokens(512)
                .build();
        Job job = Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(at)
                .setTenant(tenant)
                .setBatchId("batch-" + (id.hashCode() & 7))
                .setRequest(request)
                .setChain(chain)
                .setOrigin("http")
                .build();
        List<AttemptSummary> attempts = new ArrayList<>();
        for (int hop = 0; hop < chain.size(); hop++) {
            attempts.add(AttemptSummary.newBuilder()
                    .setHop(hop)
                    .setAttempt(1)
                    .setProvider(chain.get(hop).getProvider())
                    .setModel(chain.get(hop).getModel())
                    .setKeyName(chain.get(hop).getProvider() + "-main")
                    .setOutcome(cls)
                    .setHttpStatus(503)
                    .setErrorType("server_error")
                    .setErrorMessage("The server is overloaded, please retry later")
                    .setStartedAt(at)
                    .setLatencyMs(840)
                    .setDecision(hop == chain.size() - 1 ? Decision.GIVE_UP : Decision.NEXT_HOP)
                    .build());
        }
        return FailedJob.newBuilder()
                .setJob(job)
                .setAttempts(attempts)
                .setTerminalReason("CHAIN_EXHAUSTED")
                .setFinalOutcome(cls)
                .setError(ErrorInfo.newBuilder()
                        .setHttpStatus(503)
                        .setType("server_error")
                        .setMessage("The server is overloaded, please retry later")
                        .setOutcome(cls)
                        .build())
                .setFailedAt(at)
                .build();
    }

    private static Message message(String role, String text) {
        return Message.newBuilder()
                .setRole(role)
                .setContent(List.of(
                        ContentPart.newBuilder().setType("text").setText(text).build()))
                .build();
    }

    private static void writeReport(
            int records,
            int partitions,
            int runs,
            int threads,
            long bytes,
            int matched,
            double median,
            double best,
            double worst,
            double cold,
            String verdict,
            double cpuMedian,
            double load,
            double fetchMedian)
            throws IOException {
        Path file = Path.of("bench", "reports", "replay-scan.md");
        Files.createDirectories(file.getParent());
        String cores = Integer.toString(Runtime.getRuntime().availableProcessors());
        Files.writeString(file, """
                # Replay tool: scanning and filtering relay.failed

                Measured %s by `dev.relay.bench.replay.ReplayScanBench` (%d cores visible to the JVM, shared machine).

                | what | value |
                | --- | --- |
                | FailedJob records on relay.failed | %,d (%d partitions, %.0f bytes each on the wire format) |
                | filter | `--error-class TRANSIENT,RATE_LIMITED --tenant tenant-1` (%,d matched) |
                | runs | %d full scans after one cold scan (fetch, decode of every record, filter, de-duplicate), %d scan thread(s) |
                | **median** | **%,.0f records/s** |
                | best / worst | %,.0f / %,.0f records/s |
                | cold first scan (fresh JVM, as one `relay replay` run) | %,.0f records/s |
                | fetch only, no decoding (the floor the broker and consumer set on this machine) | %,.0f records/s |
                | target | 50,000 records/s: %s |
                | CPU cost | median %,.0f records per CPU-second of the whole JVM (scan + the in-JVM broker serving it): what the scan costs, whatever the load |
                | machine load average during the runs | %.1f on %d cores (other engineers' builds share them) |

                The broker is the in-JVM KRaft broker of `local-stack` (same JVM as the scan), the registry Apicurio;
                the scan is `Selection.select` exactly as `relay replay` runs it (one consumer per scan thread, no group).
                Re-run:

                ```
                export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
                ./mvnw -B -q -pl bench -am compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp
                java -Xmx2g -cp bench/target/classes:$(cat bench/target/bench.cp) dev.relay.bench.replay.ReplayScanBench 100000 6 5 2
                ```
                """.formatted(
                        Instant.now(),
                        Runtime.getRuntime().availableProcessors(),
                        records,
                        partitions,
                        (double) bytes / records,
                        matched,
                        runs,
                        threads,
                        median,
                        best,
                        worst,
                        cold,
                        fetchMedian,
                        verdict,
                        cpuMedian,
                        load,
                        Runtime.getRuntime().availableProcessors()));
        System.out.println("wrote " + file.toAbsolutePath() + " (" + cores + " cores)");
    }
}
