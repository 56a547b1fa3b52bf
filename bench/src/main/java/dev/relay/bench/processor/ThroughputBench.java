package dev.relay.bench.processor;

import dev.relay.bench.ChildJvm;
import dev.relay.ingress.logstore.ProcStat;
import dev.relay.schemas.Topics;
import dev.relay.testkit.provider.FakeProvider;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;

/**
 * End-to-end throughput of the Relay processor against a local OpenAI-format provider that answers after 1 s: jobs
 * produced to hop 0 as fast as the driver can, results read back read_committed. The processor runs as its own JVM
 * ({@code RelayMain processor}, {@code -Xmx512m}) so its heap and CPU are its own. In the same run, a processor that calls
 * the provider on its stream thread (same thread count) gives the baseline. Prints the figures and writes
 * {@code bench/reports/processor-throughput.md}.
 *
 * <pre>
 * ./mvnw -q -pl bench -am compile
 * java -Xmx2g -cp bench/target/classes:$(cat bench/target/classpath.txt) dev.relay.bench.processor.ThroughputBench [jobs] [concurrency]
 * </pre>
 */
public final class ThroughputBench {

    private ThroughputBench() {}

    public static void main(String[] args) throws Exception {
        System.getProperties().putIfAbsent("logback.configurationFile", "dev/relay/bench/processor/logback-bench.xml");
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 200_000; // enough for a minute past warm-up
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        Path report = Path.of(args.length > 2 ? args[2] : "bench/reports/processor-throughput.md");
        String commit = args.length > 3 ? args[3] : "20ms";
        String extraKafka =
                args.length > 4 ? ", " + args[4] : ""; // e.g. "properties": {"producer.retry.backoff.ms": "10"}
        List<String> lines = new ArrayList<>();
        String loadBefore = BenchStack.loadAverage();
        try (BenchStack stack = new BenchStack();
                FakeProvider provider = BenchStack.provider(1_000, 200).recording(false)) {
            // --- Relay, in its own JVM
            Topics topics = stack.topics(6);
            int metricsPort = ChildJvm.freePort();
            String providers = """
                    "local": {"type": "openai", "keys": [{"name": "k", "value": "sk-bench"}],
                              "network_config": {"base_url": "%s", "default_request_timeout_in_seconds": 8},
                              "concurrency_and_buffer_size": {"concurrency": %d, "buffer_size": %d}}
                    """.formatted(provider.baseUrl(), concurrency, concurrency * 4);
            Path config = stack.dir.resolve("relay.json");
            Files.writeString(
                    config,
                    stack.config(
                                    topics,
                                    "bench-relay",
                                    providers,
                                    ", \"commit_interval\": \"" + commit + "\"" + extraKafka)
                            .formatted(metricsPort));
            Path log = stack.dir.resolve("processor.log");
            List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
            // extra JVM options for the processor, e.g. -Dbench.processorJvm="-XX:StartFlightRecording=filename=p.jfr"
            jvm.addAll(ChildJvm.options("bench.processorJvm", ""));
            Process proc = ChildJvm.start(ChildJvm.PROCESSOR, jvm, config, log);
            try {
                ChildJvm.awaitLine(log, "-> RUNNING", proc, Duration.ofSeconds(90));
                Thread.sleep(3_000); // let the processor JVM settle after RUNNING
                Figures relay = run(stack, topics, provider, jobs, proc.pid(), metricsPort);
                lines.add(String.format(
                        "| Relay (async, in-flight store) | %,d | %,.0f | %,.0f | %s | %,.0f | %,d | %d / %d MB | %.1f s |",
                        jobs,
                        relay.overall(),
                        relay.firstToLast(),
                        Double.isNaN(relay.sustained())
                                ? "run too short"
                                : String.format("**%,.0f**", relay.sustained()),
                        relay.peak(),
                        relay.maxInFlight(),
                        relay.heapMaxMb(),
                        relay.heapAfterMb(),
                        relay.cpuSeconds()));
                System.out.println(relay);
            } finally {
                proc.destroy();
                proc.waitFor(30, TimeUnit.SECONDS);
                proc.destroyForcibly();
            }
            // --- the same work with the call on the stream thread (1 thread, like Relay's default)
            Topics syncTopics = stack.topics(6);
            KafkaStreams sync = SyncBaseline.start(
                    stack.broker.bootstrapServers(),
                    stack.serdes,
                    syncTopics,
                    provider.baseUrl(),
                    1,
                    stack.dir.resolve("sync-state"));
            double syncRate;
            try (var counter = new BenchStack.ResultCounter(stack.broker.bootstrapServers(), syncTopics.results())) {
                stack.produce(syncTopics, "sync-", 200, List.of("local/m"));
                long start = System.nanoTime();
                Thread.sleep(30_000);
                int done = counter.distinct();
                syncRate = done / ((System.nanoTime() - start) / 1e9);
                System.out.printf("sync baseline: %d results in 30 s = %.2f jobs/s%n", done, syncRate);
            } finally {
                sync.close(Duration.ofSeconds(5));
            }
            lines.add(String.format(
                    "| Provider call on the stream thread (1 thread) | 200 offered | %.2f (30 s window) | | | | 1 | | |",
                    syncRate));
            write(
                    report,
                    jobs,
                    concurrency,
                    commit,
                    extraKafka.isEmpty() ? "" : "'" + extraKafka.substring(2) + "'",
                    lines,
                    syncRate,
                    lines.get(0),
                    "load average (1/5/15 min) before: " + loadBefore + "; after: " + BenchStack.loadAverage());
        }
        // the stream-thread baseline's thread may still sit in a 1 s provider call after its close timeout, and its
        // clients keep retrying the stopped broker: without this the JVM does not exit
        System.exit(0);
    }

    record Figures(
            double overall,
            double firstToLast,
            double peak,
            long maxInFlight,
            long heapMaxMb,
            long heapAfterMb,
            double cpuSeconds,
            double sustained) {}

    /** The first seconds are warm-up: JIT in a fresh processor JVM, and thousands of new provider connections. */
    static final int WARM_UP_SECONDS = 30;

    /**
     * Results per second once warmed up: from the first sample at {@link #WARM_UP_SECONDS} or later to the first with
     * 99 % of the jobs done (the last 1 % is the tail, not the rate). NaN when the run ended too soon after warm-up
     * (under 10 s left) to say: use more jobs.
     */
    static double sustained(List<long[]> samples, int jobs) {
        long[] from = samples.stream()
                .filter(x -> x[0] >= WARM_UP_SECONDS)
                .findFirst()
                .orElse(null);
        long[] to =
                samples.stream().filter(x -> x[1] >= jobs * 0.99).findFirst().orElse(null);
        if (from == null || to == null || to[0] - from[0] < 10) {
            return Double.NaN;
        }
        return (to[1] - from[1]) / (double) (to[0] - from[0]);
    }

    private static Figures run(
            BenchStack stack, Topics topics, FakeProvider provider, int jobs, long pid, int metricsPort)
            throws Exception {
        double cpuBefore = cpuSeconds(pid);
        long heapMax = 0;
        double peak = 0;
        List<long[]> samples = new ArrayList<>(); // {seconds since start, results}
        try (var counter = new BenchStack.ResultCounter(stack.broker.bootstrapServers(), topics.results())) {
            long start = System.nanoTime();
            Thread producer = Thread.ofPlatform().start(() -> stack.produce(topics, "job-", jobs, List.of("local/m")));
            int last = 0;
            long deadline = start + Duration.ofMinutes(5).toNanos();
            while (counter.distinct() < jobs && System.nanoTime() < deadline) {
                Thread.sleep(1_000);
                int now = counter.distinct();
                String metrics = scrape(metricsPort);
                long heap = heapUsedMb(metrics);
                heapMax = Math.max(heapMax, heap);
                peak = Math.max(peak, now - last);
                samples.add(new long[] {(System.nanoTime() - start) / 1_000_000_000, now});
                // the processor's own view: calls it has running, and jobs in its stores (queued or calling)
                System.out.printf(
                        "t+%2ds results %,6d (+%,5d/s) provider in flight %,5d processor calls %,5d"
                                + " stored %,5d heap %d MB cpu %.1f s%n",
                        (System.nanoTime() - start) / 1_000_000_000,
                        now,
                        now - last,
                        provider.concurrent(),
                        (long) gauge(metrics, "relay_provider_inflight_calls"),
                        (long) gauge(metrics, "relay_provider_backlog_jobs"),
                        heap,
                        cpuSeconds(pid) - cpuBefore);
                last = now;
            }
            producer.join();
            double overall = counter.distinct() / ((counter.lastNanos - start) / 1e9);
            double firstToLast = (counter.distinct() - 1) / ((counter.lastNanos - counter.firstNanos) / 1e9);
            return new Figures(
                    overall,
                    firstToLast,
                    peak,
                    provider.maxConcurrent(),
                    heapMax,
                    heapUsedMb(metricsPort),
                    cpuSeconds(pid) - cpuBefore,
                    sustained(samples, jobs));
        }
    }

    static long heapUsedMb(int port) {
        return heapUsedMb(scrape(port));
    }

    static long heapUsedMb(String metrics) {
        double sum = metrics.lines()
                .filter(l -> l.startsWith("jvm_memory_used_bytes") && l.contains("area=\"heap\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
        return metrics.isEmpty() ? -1 : (long) (sum / 1_048_576);
    }

    /** Sum of a gauge's samples in a Prometheus scrape (every tag set). */
    static double gauge(String metrics, String name) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    static String scrape(int port) {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (Exception e) {
            return "";
        }
    }

    /** utime + stime of a process, from /proc (Linux). */
    static double cpuSeconds(long pid) {
        try {
            return ProcStat.read(Path.of("/proc", Long.toString(pid), "stat")).cpuTicks() / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static void write(
            Path report,
            int jobs,
            int concurrency,
            String commit,
            String extra,
            List<String> rows,
            double syncRate,
            String relayRow,
            String load)
            throws IOException {
        String md = """
                # Processor throughput

                Run: %s, `ThroughputBench %d %d <report> %s %s` on this 2-core machine (shared with other work; see the load note).
                Everything local: the in-JVM KRaft broker, an in-memory Confluent-API registry, a JDK HttpServer
                speaking OpenAI's format that answers every call after **1 s**, the driver (producer and a
                read_committed results reader) in the bench JVM, and the Relay processor in its own JVM
                (`RelayMain processor`, `-Xmx512m`, 1 stream thread, exactly_once_v2, commit %s, poll 5 ms, 6 partitions,
                the real `openai` adapter, `concurrency` %d).

                | processor | jobs | jobs/s (first produce → last result) | jobs/s (first → last result) | jobs/s sustained (t+30 s → 99 %% of results) | peak jobs/s (1 s) | max provider in flight | processor heap used: max / end | processor CPU |
                |---|---|---|---|---|---|---|---|---|
                %s

                Relay vs calling on the stream thread: **%.0fx** (first produce → last result).

                Machine load during the run, %s (2 cores).
                """.formatted(
                        Instant.now(),
                        jobs,
                        concurrency,
                        commit,
                        extra,
                        commit,
                        concurrency,
                        String.join("\n", rows),
                        parseOverall(relayRow) / Math.max(syncRate, 0.0001),
                        load);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md);
        System.out.println(md);
    }

    private static double parseOverall(String row) {
        return Double.parseDouble(row.split("\\|")[3].trim().replace(",", ""));
    }
}
