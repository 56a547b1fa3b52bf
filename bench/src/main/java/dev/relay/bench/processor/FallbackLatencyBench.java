package dev.relay.bench.processor;

import dev.relay.config.ConfigLoader;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The latency one fallback hop adds: from the moment the primary has sent its failure response (HTTP 500, no
 * retries) to the moment the fallback's request reaches the fallback provider. Jobs go one at a time (every 50 ms),
 * so this measures the path, not queueing. Runs the processor in this JVM for a few settings of the Streams
 * commit/poll intervals and guarantee. Prints the figures and writes {@code bench/reports/processor-fallback-latency.md}.
 *
 * <pre>
 * ./mvnw -q -pl bench -am compile
 * java -Xmx2g -cp bench/target/classes:$(cat bench/target/classpath.txt) dev.relay.bench.processor.FallbackLatencyBench [jobs]
 * </pre>
 */
public final class FallbackLatencyBench {

    private static final int WARMUP = 30;

    private FallbackLatencyBench() {}

    record Variant(String name, String kafka) {}

    public static void main(String[] args) throws Exception {
        System.getProperties().putIfAbsent("logback.configurationFile", "dev/relay/bench/processor/logback-bench.xml");
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/reports/processor-fallback-latency.md");
        List<Variant> variants = List.of(
                new Variant("exactly_once_v2, commit 20 ms, poll 5 ms (default: fast_fallback on)", ""),
                new Variant(
                        "exactly_once_v2, commit 20 ms, poll 5 ms, fast_fallback off", ", \"fast_fallback\": false"),
                new Variant("exactly_once_v2, commit 5 ms, poll 5 ms", ", \"commit_interval\": \"5ms\""),
                new Variant(
                        "exactly_once_v2, commit 20 ms, poll 5 ms, main consumer fetch.max.wait.ms 10",
                        ", \"properties\": {\"main.consumer.fetch.max.wait.ms\": \"10\"}"),
                new Variant(
                        "at_least_once, commit 100 ms, poll 5 ms",
                        ", \"processing_guarantee\": \"at_least_once\", \"commit_interval\": \"100ms\""));
        List<String> rows = new ArrayList<>();
        String loadBefore = BenchStack.loadAverage();
        try (BenchStack stack = new BenchStack();
                FakeProvider primary = BenchStack.provider(0, 500);
                FakeProvider fallback = BenchStack.provider(0, 200)) {
            String providers = """
                    "primary": {"type": "openai", "keys": [{"name": "k", "value": "sk-bench"}],
                                "network_config": {"base_url": "%s", "max_retries": 0}},
                    "fallback": {"type": "openai", "keys": [{"name": "k", "value": "sk-bench"}],
                                 "network_config": {"base_url": "%s"}}
                    """.formatted(primary.baseUrl(), fallback.baseUrl());
            int v = 0;
            for (Variant variant : variants) {
                v++;
                Topics topics = stack.topics(6);
                String json = stack.config(topics, "bench-latency-" + v, providers, variant.kafka())
                        .formatted(0);
                var config = new ConfigLoader(n -> Optional.empty()).parse(json, "bench");
                try (RelayProcessor processor = RelayProcessor.start(config);
                        var producer = stack.producer()) {
                    if (!processor.awaitRunning(Duration.ofSeconds(90))) {
                        throw new IllegalStateException("processor not RUNNING");
                    }
                    String prefix = "v" + v + "-";
                    for (int i = 0; i < jobs; i++) {
                        String id = prefix + i;
                        producer.send(new ProducerRecord<>(
                                topics.jobs(), id, BenchStack.job(id, List.of("primary/m", "fallback/m"))));
                        producer.flush();
                        Thread.sleep(50);
                    }
                    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (countDone(fallback, prefix, jobs) < jobs && System.nanoTime() < until) {
                        Thread.sleep(100);
                    }
                    double[] ms = latencies(primary, fallback, prefix, jobs);
                    String row = String.format(
                            "| %s | %d | %.1f | %.1f | %.1f | %.1f |",
                            variant.name(),
                            ms.length,
                            pct(ms, 50),
                            pct(ms, 90),
                            pct(ms, 99),
                            ms.length == 0 ? Double.NaN : ms[ms.length - 1]);
                    System.out.println(row);
                    rows.add(row);
                }
            }
        }
        String md = """
                # Processor: latency of one fallback hop

                Run: %s, `FallbackLatencyBench %d` on this 2-core machine (shared; see the load note in
                `processor-throughput.md`). The in-JVM KRaft broker, an in-memory Confluent-API registry, two local
                OpenAI-format providers (the primary answers HTTP 500 at once, `max_retries` 0; the fallback answers
                200 at once), and the processor, all in one JVM, with the real `openai` adapter. One job every 50 ms;
                the first %d of each variant are warm-up and not counted.

                Measured per job: the fallback provider's request arrival minus the moment the primary finished
                writing its failure response (both servers in one JVM, `System.nanoTime`). The path: HTTP response →
                adapter outcome → completion queue → punctuator drain (every 5 ms) → attempt record and hop-1 job
                written → transaction commit (under EOS the hop-1 record is readable only after it) → hop-1 poll →
                dispatch → fallback request. With `fast_fallback` (the default) hop 0 starts the fallback's call right
                after the drain, when this instance owns the job's hop-1 partition, and hop 1 adopts that call when
                the committed record arrives: the commit is no longer on the path.

                | settings | jobs counted | p50 ms | p90 ms | p99 ms | max ms |
                |---|---|---|---|---|---|
                %s

                Target: p50 ≤ 10 ms. Load average (1/5/15 min) before: %s; after: %s (2 cores).
                """.formatted(
                        Instant.now(), jobs, WARMUP, String.join("\n", rows), loadBefore, BenchStack.loadAverage());
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md);
        System.out.println(md);
    }

    private static int countDone(FakeProvider fallback, String prefix, int jobs) {
        return BenchStack.firstRequests(fallback, prefix).size();
    }

    private static double[] latencies(FakeProvider primary, FakeProvider fallback, String prefix, int jobs) {
        Map<String, Request> failedCalls = BenchStack.firstRequests(primary, prefix);
        Map<String, Request> fallbackCalls = BenchStack.firstRequests(fallback, prefix);
        List<Double> out = new ArrayList<>();
        for (int i = WARMUP; i < jobs; i++) {
            Request failed = failedCalls.get(prefix + i);
            Request arrived = fallbackCalls.get(prefix + i);
            if (failed != null && arrived != null && failed.respondedAtNanos() != 0) {
                out.add((arrived.receivedAtNanos() - failed.respondedAtNanos()) / 1e6);
            }
        }
        double[] ms = out.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(ms);
        return ms;
    }

    private static double pct(double[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
