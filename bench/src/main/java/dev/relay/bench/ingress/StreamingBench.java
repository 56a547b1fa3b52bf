package dev.relay.bench.ingress;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.StreamReply;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Streaming through Relay against a local provider that streams {@code tokens} tokens at a fixed pace: time to first
 * token and inter-chunk delay added over the same stream read directly from the provider (p50, p99), then
 * {@code concurrent} streams at once: heap, CPU, and chunk records per second on {@code relay.stream}. Everything runs
 * in this JVM (broker, registry, processor, ingress, provider), so the heap and CPU figures are the whole stack's, an
 * upper bound for the ingress. Run: {@code java -Xmx1g -cp "$CP" dev.relay.bench.ingress.StreamingBench
 * [streams tokens paceMs concurrent concurrentTokens concurrentPaceMs report]}.
 */
public final class StreamingBench {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    private static final com.sun.management.OperatingSystemMXBean CPU =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** The concurrent streams open over about this long, not in one burst of connections. */
    static final int RAMP_MS = 2000;

    private StreamingBench() {}

    /** Time to the first content event and the gaps between content events of one stream, in nanoseconds. */
    record Timing(long firstToken, List<Long> gaps, int events, boolean done) {}

    public static void main(String[] args) throws Exception {
        int streams = arg(args, 0, 40);
        int tokens = arg(args, 1, 200);
        int paceMs = arg(args, 2, 10);
        int concurrent = arg(args, 3, 1000);
        int concurrentTokens = arg(args, 4, 100);
        int concurrentPaceMs = arg(args, 5, 50);
        Path report = Path.of(args.length > 6 ? args[6] : "bench/reports/streaming.md");
        Path dir = Files.createTempDirectory("relay-bench-stream");
        FakeProvider provider = FakeProvider.start().recording(false);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                ApicurioRegistry registry = ApicurioRegistry.start(null, 0)) {
            Topics topics = new Topics("bench.", Topics.DEFAULT_MAX_HOPS);
            TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
            String json = """
                    {"providers": {"local": {"type": "openai-compatible", "keys": [{"name": "k", "value": "sk-bench"}],
                                             "concurrency_and_buffer_size": {"concurrency": 2000, "buffer_size": 5000},
                                             "network_config": {"base_url": "%s"}}},
                     "circuit_breaker": {"enabled": false}, "metrics": {"port": 0},
                     "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "bench.",
                               "state_dir": "%s"},
                     "ingress": {"port": 0, "sync_timeout": "120s", "stream_partition": 0}}
                    """.formatted(
                            provider.baseUrl(), broker.bootstrapServers(), registry.ccompatUrl(), dir.resolve("state"));
            RelayConfig config = new ConfigLoader(n -> Optional.empty()).parse(json, "bench");
            try (RelayProcessor processor = RelayProcessor.start(config);
                    RelayIngress ingress = RelayIngress.start(config)) {
                if (!processor.awaitRunning(Duration.ofSeconds(60))) {
                    throw new IllegalStateException("processor not RUNNING");
                }
                String direct = provider.baseUrl() + "/v1/chat/completions";
                String relay = "http://127.0.0.1:" + ingress.port() + "/v1/chat/completions";
                provider.script(r -> tokens(
                                r.text().contains("concurrent") ? concurrentTokens : tokens,
                                r.text().contains("concurrent") ? concurrentPaceMs : paceMs)
                        .reply());
                // warm-up: JIT, connections, the registry's schema ids
                for (int i = 0; i < 10; i++) {
                    read(direct, "local-model", "warm");
                    read(relay, "local/m", "warm");
                }
                List<Timing> d = new ArrayList<>();
                List<Timing> r = new ArrayList<>();
                for (int i = 0; i < streams; i++) { // interleaved, so both see the same machine
                    d.add(read(direct, "local-model", "latency"));
                    r.add(read(relay, "local/m", "latency"));
                }
                String latency = latencyTable(d, r, streams, tokens, paceMs);
                System.out.println(latency);
                String load = concurrentRun(relay, concurrent, concurrentTokens, concurrentPaceMs, broker, topics);
                System.out.println(load);
                write(report, latency, load, args);
            }
        } finally {
            provider.close();
        }
    }

    private static StreamReply tokens(int n, int paceMs) {
        String[] t = new String[n];
        for (int i = 0; i < n; i++) {
            t[i] = "tok" + i + " ";
        }
        return StreamReply.of(t).pace(Duration.ofMillis(paceMs));
    }

    /** Reads one stream; the content events' arrival times give its time to first token and inter-chunk gaps. */
    static Timing read(String url, String model, String prompt) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt + "\"}]}";
        long start = System.nanoTime();
        HttpResponse<InputStream> resp = HTTP.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer sk-bench")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long first = -1;
        long last = -1;
        List<Long> gaps = new ArrayList<>();
        int events = 0;
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                if (line.equals("data: [DONE]")) {
                    done = true;
                    break;
                }
                if (!line.contains("\"content\":\"tok")) {
                    continue;
                }
                long now = System.nanoTime();
                events++;
                if (first < 0) {
                    first = now - start;
                } else {
                    gaps.add(now - last);
                }
                last = now;
            }
        }
        return new Timing(first, gaps, events, done);
    }

    private static String latencyTable(List<Timing> direct, List<Timing> relay, int streams, int tokens, int paceMs) {
        List<Long> dFirst = direct.stream().map(Timing::firstToken).toList();
        List<Long> rFirst = relay.stream().map(Timing::firstToken).toList();
        List<Long> dGaps = direct.stream().flatMap(t -> t.gaps().stream()).toList();
        List<Long> rGaps = relay.stream().flatMap(t -> t.gaps().stream()).toList();
        long rEvents = relay.stream().mapToLong(Timing::events).sum();
        long complete = relay.stream().filter(Timing::done).count();
        StringBuilder b = new StringBuilder();
        b.append("### Latency: ")
                .append(streams)
                .append(" streams each way, ")
                .append(tokens)
                .append(" tokens at ")
                .append(paceMs)
                .append(" ms, one at a time\n\n");
        b.append("| measure | direct p50 | direct p99 | Relay p50 | Relay p99 | added p50 | added p99 |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        row(b, "time to first token (ms)", dFirst, rFirst);
        row(b, "inter-chunk delay (ms)", dGaps, rGaps);
        b.append("\nRelay delivered ")
                .append(rEvents)
                .append(" content events for ")
                .append(streams * tokens)
                .append(" tokens (fewer means merged chunks); ")
                .append(complete)
                .append(" of ")
                .append(streams)
                .append(" streams ended with [DONE].\n");
        return b.toString();
    }

    private static void row(StringBuilder b, String name, List<Long> direct, List<Long> relay) {
        double d50 = pct(direct, 50);
        double d99 = pct(direct, 99);
        double r50 = pct(relay, 50);
        double r99 = pct(relay, 99);
        b.append(String.format(
                "| %s | %.2f | %.2f | %.2f | %.2f | **%+.2f** | **%+.2f** |%n",
                name, d50, d99, r50, r99, r50 - d50, r99 - d99));
    }

    static double pct(List<Long> nanos, int p) {
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        if (s.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i))) / 1e6;
    }

    private static String concurrentRun(
            String relay, int n, int tokens, int paceMs, EmbeddedKafkaBroker broker, Topics topics) throws Exception {
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        long before = chunkRecords(admin, topics);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicLong complete = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long heapMax = 0;
        double cpuSum = 0;
        int cpuSamples = 0;
        long start = System.nanoTime();
        long cpuStart = CPU.getProcessCpuTime();
        List<Future<Timing>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        Timing t = read(relay, "local/m", "concurrent");
                        if (t.done()) {
                            complete.incrementAndGet();
                        }
                        return t;
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        return new Timing(-1, List.of(), 0, false);
                    } finally {
                        running.decrementAndGet();
                    }
                }));
                Thread.sleep(Duration.ofNanos(RAMP_MS * 1_000_000L / n)); // the streams open over about RAMP_MS
            }
            var mem = ManagementFactory.getMemoryMXBean();
            while (futures.stream().anyMatch(f -> !f.isDone())) {
                Thread.sleep(250);
                heapMax = Math.max(heapMax, mem.getHeapMemoryUsage().getUsed());
                cpuSum += CPU.getProcessCpuLoad();
                cpuSamples++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuCores = (CPU.getProcessCpuTime() - cpuStart) / 1e9 / seconds;
        long records = chunkRecords(admin, topics) - before;
        admin.close();
        List<Long> gaps = new ArrayList<>();
        List<Long> firsts = new ArrayList<>();
        for (Future<Timing> f : futures) {
            Timing t = f.get();
            if (t.firstToken() < 0) {
                continue;
            }
            firsts.add(t.firstToken());
            gaps.addAll(t.gaps());
        }
        StringBuilder b = new StringBuilder();
        b.append("### ")
                .append(n)
                .append(" concurrent streams, ")
                .append(tokens)
                .append(" tokens at ")
                .append(paceMs)
                .append(" ms each\n\n");
        b.append("| measure | value |\n|---|---|\n");
        b.append(String.format(
                "| streams ended with [DONE] | %d of %d (at most %d open at once; %d failed to connect) |%n",
                complete.get(), n, maxRunning.get(), failures.get()));
        b.append(String.format(
                "| wall time | %.1f s (one stream alone: %.1f s) |%n", seconds, tokens * paceMs / 1000.0));
        b.append(String.format(
                "| heap used, peak (whole stack in one JVM: broker, registry, processor, ingress, "
                        + "provider, clients) | %d MB |%n",
                heapMax / (1024 * 1024)));
        b.append(String.format(
                "| CPU (this JVM) | %.2f cores of %d (mean load %.0f %%) |%n",
                cpuCores, Runtime.getRuntime().availableProcessors(), cpuSamples == 0 ? 0 : 100 * cpuSum / cpuSamples));
        b.append(String.format(
                "| chunk records on relay.stream | %d (%.0f/s; %d tokens sent: %.2f tokens per record) |%n",
                records, records / seconds, (long) n * tokens, records == 0 ? 0 : (double) n * tokens / records));
        b.append(String.format(
                "| time to first token p50 / p99 | %.1f / %.1f ms |%n", pct(firsts, 50), pct(firsts, 99)));
        b.append(String.format(
                "| inter-chunk delay p50 / p99 | %.1f / %.1f ms (pace %d ms) |%n",
                pct(gaps, 50), pct(gaps, 99), paceMs));
        return b.toString();
    }

    private static long chunkRecords(Admin admin, Topics topics) throws Exception {
        var d = admin.describeTopics(List.of(topics.stream()))
                .allTopicNames()
                .get()
                .get(topics.stream());
        Map<TopicPartition, OffsetSpec> specs = new java.util.HashMap<>();
        d.partitions().forEach(p -> specs.put(new TopicPartition(topics.stream(), p.partition()), OffsetSpec.latest()));
        long sum = 0;
        for (var e : admin.listOffsets(specs).all().get().values()) {
            sum += e.offset();
        }
        return sum;
    }

    private static void write(Path report, String latency, String load, String[] args) throws Exception {
        String text = "# Streaming: latency added and 1,000 concurrent streams\n\n"
                + "Run " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, load average "
                + loadAverage() + "; arguments " + String.join(" ", args) + ". Program: `dev.relay.bench.ingress"
                + ".StreamingBench` (bench/README.md). Defaults: coalescing window 5 ms, producer linger 1 ms, "
                + "commit interval 5 ms.\n\n" + latency + "\n" + load;
        Files.createDirectories(report.getParent());
        Files.writeString(report, text);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (Exception e) {
            return "n/a";
        }
    }

    private static int arg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }
}
