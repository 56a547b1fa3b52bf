package dev.relay.bench.ingress;

import dev.relay.bench.ChildJvm;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sync path's added latency: the same request sent directly to a local 0 ms provider, and through the ingress
 * (publish, processor, results topic, answer), open-loop at fixed rates; then the ingress's heap with 1,000 sync calls
 * waiting. Run: {@code ./mvnw -q -pl bench -am compile exec:java -Dexec.mainClass=dev.relay.bench.ingress.IngressLatencyBench
 * -Dexec.args="--commit-interval 10 --seconds 20"} (or java -cp with the bench classpath, see the report). Prints
 * Markdown tables.
 */
public final class IngressLatencyBench {

    private static final String COMPLETION = "{\"id\":\"chatcmpl-b\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    private static final String REQUEST =
            "{\"model\":\"local/m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static final com.sun.management.OperatingSystemMXBean CPU = (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private IngressLatencyBench() {}

    public static void main(String[] args) throws Exception {
        int commitMs = intArg(args, "--commit-interval", 5); // Relay's default
        int pollMs = intArg(args, "--poll", 5);
        int seconds = intArg(args, "--seconds", 20);
        String guarantee = strArg(args, "--guarantee", "exactly_once_v2");
        // e.g. --kafka-props retry.backoff.ms=5 : passed to every Kafka client (kafka.properties)
        String kafkaProps = Arrays.stream(strArg(args, "--kafka-props", "").split(","))
                .filter(kv -> kv.contains("="))
                .map(kv ->
                        "\"" + kv.substring(0, kv.indexOf('=')) + "\": \"" + kv.substring(kv.indexOf('=') + 1) + "\"")
                .collect(java.util.stream.Collectors.joining(", "));
        Path dir = Files.createTempDirectory("relay-bench-ingress");
        FakeProvider provider = FakeProvider.start().recording(false).reply(Reply.json(200, COMPLETION));
        String providerUrl = provider.baseUrl();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                ApicurioRegistry registry = ApicurioRegistry.start(null, 0)) {
            Topics topics = new Topics("bench.", Topics.DEFAULT_MAX_HOPS);
            TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
            boolean split = Arrays.asList(args).contains("--split");
            int ingressPort = split ? ChildJvm.freePort() : 0;
            String json = """
                    {"providers": {"local": {"type": "openai-compatible", "keys": [{"name": "k", "value": "sk-bench"}],
                                           "network_config": {"base_url": "%s"}}},
                     "circuit_breaker": {"enabled": false}, "metrics": {"port": 0},
                     "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "bench.",
                               "processing_guarantee": "%s", "commit_interval": "%dms", "poll_interval": "%dms",
                               "state_dir": "%s", "properties": {%s}},
                     "ingress": {"port": %d, "sync_timeout": "60s"},
                     "logs_store": {"enabled": %s}}
                    """.formatted(
                            providerUrl,
                            broker.bootstrapServers(),
                            registry.ccompatUrl(),
                            guarantee,
                            commitMs,
                            pollMs,
                            dir.resolve("state"),
                            kafkaProps,
                            ingressPort,
                            !Arrays.asList(args).contains("--no-logs-store"));
            RelayConfig config = new ConfigLoader(n -> Optional.empty()).parse(json, "bench");
            if (Arrays.asList(args).contains("--memory-only")) {
                try (RelayIngress ingress = RelayIngress.start(config)) {
                    System.out.println(
                            waitingMemory(URI.create("http://127.0.0.1:" + ingress.port() + "/v1/chat/completions")));
                }
                provider.close();
                System.exit(0);
            }
            try (Deployment relay = split ? Deployment.split(json, ingressPort, dir) : Deployment.inThisJvm(config)) {
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
                URI direct = URI.create(providerUrl + "/v1/chat/completions");
                URI viaIngress = URI.create("http://127.0.0.1:" + relay.ingressPort() + "/v1/chat/completions");
                // JIT in a fresh JVM: both paths first, at rates a cold JVM keeps up with (500/s from cold builds a
                // queue of thousands of open calls, whose connections then fill the heap for the measured runs)
                int idle = intArg(args, "--idle", 0);
                if (idle > 0) { // what the stack costs with no traffic at all: the fixed share of the CPU
                    long cpu0 = CPU.getProcessCpuTime() + relay.childCpuNanos();
                    Thread.sleep(idle * 1000L);
                    System.out.printf(
                            "idle: the bench's JVMs used %.1f %% of one core over %d s with no requests%n",
                            (CPU.getProcessCpuTime() + relay.childCpuNanos() - cpu0) / 1e7 / idle, idle);
                }
                // --dashboard-open: a browser's worth of dashboard traffic (the Logs view's live refresh every 2 s, the
                // overview every 5 s) all through the measured phases
                Thread dashboard = Arrays.asList(args).contains("--dashboard-open")
                        ? Thread.ofPlatform().daemon().start(() -> pollDashboard(client, relay.ingressPort()))
                        : null;
                int warmUp = intArg(args, "--warm-up", 30);
                System.out.println("warm-up " + warmUp + " s ...");
                run(client, direct, 500, Math.max(1, warmUp / 3));
                run(client, viaIngress, 100, warmUp / 2);
                run(client, viaIngress, 250, warmUp / 2);
                StringBuilder table = new StringBuilder(
                        "| rate | path | n | p50 ms | p99 ms | job latency_ms p50 / p99 (submit to result, from extra_fields) | errors |\n|---|---|---|---|---|---|---|\n");
                StringBuilder added = new StringBuilder(
                        "| rate | added p50 ms | added p99 ms | the bench's JVMs' CPU, % of all cores (ingress phase) |\n|---|---|---|---|\n");
                for (int rate : Arrays.stream(strArg(args, "--rates", "100,500").split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray()) {
                    Result d = run(client, direct, rate, seconds);
                    Result i;
                    long cpu0 = CPU.getProcessCpuTime() + relay.childCpuNanos();
                    long wall0 = System.nanoTime();
                    // -Dbench.jfr=DIR: a JFR profile of each rate's ingress phase, to see where the CPU goes
                    try (var jfr = profile(rate)) {
                        i = run(client, viaIngress, rate, seconds);
                    }
                    double cpuShare = (CPU.getProcessCpuTime() + relay.childCpuNanos() - cpu0)
                            / (double) (System.nanoTime() - wall0)
                            / Runtime.getRuntime().availableProcessors()
                            * 100;
                    table.append(d.row(rate, "direct")).append(i.row(rate, "ingress"));
                    added.append(String.format(
                            "| %d/s | %.1f | %.1f | %.0f %% |%n",
                            rate, i.p(50) - d.p(50), i.p(99) - d.p(99), cpuShare));
                }
                String memory = "(memory: run with --memory-only)";
                String processorName = split
                        ? "RelayMain processor and RelayMain ingress, each in its own JVM ("
                                + String.join(" ", Deployment.childJvmOptions()) + ")"
                        : "RelayProcessor and RelayIngress in this JVM";
                System.out.printf(
                        "%nprocessor: %s; processing_guarantee=%s, commit_interval=%dms, poll_interval=%dms,"
                                + " kafka.properties={%s}, ingress/view isolation.level=read_committed; logs store %s, "
                                + "dashboard %s%n%n%s%n%s%n%s%n",
                        processorName,
                        guarantee,
                        commitMs,
                        pollMs,
                        kafkaProps,
                        Arrays.asList(args).contains("--no-logs-store") ? "off" : "on (SQLite)",
                        dashboard == null ? "closed" : "open (logs every 2 s, overview every 5 s)",
                        table,
                        added,
                        memory);
            }
        } finally {
            provider.close();
        }
        System.exit(0);
    }

    private static void pollDashboard(HttpClient client, int port) {
        URI logs = URI.create("http://127.0.0.1:" + port + "/api/dashboard/jobs?limit=50");
        URI overview = URI.create("http://127.0.0.1:" + port + "/api/dashboard/overview");
        for (long tick = 0; ; tick++) {
            try {
                if (tick % 2 == 0) {
                    client.send(HttpRequest.newBuilder(logs).GET().build(), HttpResponse.BodyHandlers.discarding());
                }
                if (tick % 5 == 0) {
                    client.send(HttpRequest.newBuilder(overview).GET().build(), HttpResponse.BodyHandlers.discarding());
                }
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                // the bench is stopping
            }
        }
    }

    /**
     * Where the processor and the ingress run: in this JVM beside the broker (the default), or with {@code --split}
     * each in a JVM of its own ({@code RelayMain processor}, {@code RelayMain ingress}; options from -Dbench.childJvm, default
     * -Xmx1g), as they are deployed, so the broker's garbage does not pause them.
     */
    private interface Deployment extends AutoCloseable {
        int ingressPort();

        /** CPU time of the child JVMs (0 in this JVM's mode, whose CPU the caller counts itself). */
        long childCpuNanos();

        @Override
        void close() throws Exception;

        static List<String> childJvmOptions() {
            return ChildJvm.options("bench.childJvm", "-Xmx1g");
        }

        static Deployment inThisJvm(RelayConfig config) throws InterruptedException {
            RelayProcessor processor = RelayProcessor.start(config);
            if (!processor.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("the processor did not reach RUNNING");
            }
            RelayIngress ingress = RelayIngress.start(config);
            return new Deployment() {
                public int ingressPort() {
                    return ingress.port();
                }

                public long childCpuNanos() {
                    return 0;
                }

                public void close() {
                    ingress.close();
                    processor.close();
                }
            };
        }

        static Deployment split(String configJson, int ingressPort, Path dir) throws Exception {
            Path configFile = dir.resolve("relay.json");
            Files.writeString(configFile, configJson);
            Path processorLog = dir.resolve("processor.log");
            Process processor = ChildJvm.start(ChildJvm.PROCESSOR, childJvmOptions(), configFile, processorLog);
            ChildJvm.awaitLine(processorLog, "-> RUNNING", processor, Duration.ofSeconds(120));
            Path ingressLog = dir.resolve("ingress.log");
            Process ingress = ChildJvm.start(ChildJvm.INGRESS, childJvmOptions(), configFile, ingressLog);
            ChildJvm.awaitLine(ingressLog, "relay ingress listening", ingress, Duration.ofSeconds(120));
            return new Deployment() {
                public int ingressPort() {
                    return ingressPort;
                }

                public long childCpuNanos() {
                    return cpu(processor) + cpu(ingress);
                }

                public void close() throws InterruptedException {
                    for (Process p : List.of(ingress, processor)) {
                        p.destroy();
                        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                            p.destroyForcibly();
                        }
                    }
                }
            };
        }

        private static long cpu(Process p) {
            return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }
    }

    /** Records the phase with JFR's profile settings when -Dbench.jfr names a directory; a no-op otherwise. */
    private static AutoCloseable profile(int rate) throws Exception {
        String dir = System.getProperty("bench.jfr");
        if (dir == null) {
            return () -> {};
        }
        var recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
        recording.setDestination(Path.of(dir, "ingress-" + rate + ".jfr"));
        recording.start();
        return () -> {
            recording.stop(); // writes the destination
            recording.close();
        };
    }

    record Result(long[] sortedMicros, int errors, long[] sortedProcessorMs) {
        double p(double q) {
            if (sortedMicros.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(q / 100.0 * sortedMicros.length) - 1;
            return sortedMicros[Math.max(0, Math.min(i, sortedMicros.length - 1))] / 1000.0;
        }

        String row(int rate, String path) {
            String proc = sortedProcessorMs.length == 0
                    ? "-"
                    : sortedProcessorMs[sortedProcessorMs.length / 2] + " / "
                            + sortedProcessorMs[Math.max(0, (int) Math.ceil(0.99 * sortedProcessorMs.length) - 1)];
            return String.format(
                    "| %d/s | %s | %d | %.2f | %.2f | %s | %d |%n",
                    rate, path, sortedMicros.length, p(50), p(99), proc, errors);
        }
    }

    /** Open loop: request k is due at start + k/rate, and its latency counts from when it was due. */
    static Result run(HttpClient client, URI uri, int rate, int seconds) throws Exception {
        int n = rate * seconds;
        long[] micros = new long[n];
        long[] procMs = new long[n];
        java.util.Arrays.fill(procMs, -1);
        AtomicInteger errors = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>(n);
        long start = System.nanoTime() + 50_000_000;
        for (int k = 0; k < n; k++) {
            long due = start + (long) (k * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            int idx = k;
            HttpRequest req = HttpRequest.newBuilder(uri)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(REQUEST))
                    .build();
            all.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((r, e) -> {
                        micros[idx] = (System.nanoTime() - due) / 1000;
                        if (e != null || r.statusCode() != 200) {
                            errors.incrementAndGet();
                        } else {
                            String b = new String(r.body(), StandardCharsets.UTF_8);
                            int at = b.indexOf("\"latency_ms\":");
                            if (at >= 0) {
                                int from = at + "\"latency_ms\":".length();
                                int to = from;
                                while (to < b.length() && Character.isDigit(b.charAt(to))) {
                                    to++;
                                }
                                procMs[idx] = Long.parseLong(b.substring(from, to));
                            }
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .exceptionally(e -> null)
                .join();
        if (Boolean.getBoolean("bench.slowSeconds")) { // where the tail comes from: a few stalls, or spread out
            int secs = (n + rate - 1) / rate;
            long[] worst = new long[secs];
            int[] over50 = new int[secs];
            for (int k = 0; k < n; k++) {
                worst[k / rate] = Math.max(worst[k / rate], micros[k]);
                over50[k / rate] += micros[k] > 50_000 ? 1 : 0;
            }
            StringBuilder line =
                    new StringBuilder(uri.getPort() + " @" + rate + "/s, per second: max ms (calls > 50 ms):");
            for (int i = 0; i < secs; i++) {
                line.append(' ')
                        .append(worst[i] / 1000)
                        .append('(')
                        .append(over50[i])
                        .append(')');
            }
            System.out.println(line);
        }
        Arrays.sort(micros);
        long[] proc = Arrays.stream(procMs).filter(v -> v >= 0).sorted().toArray();
        return new Result(micros, errors.get(), proc);
    }

    /**
     * Heap after GC with 1,000 sync calls parked (no processor runs, so none is answered). The callers are raw sockets
     * that wrote a request and wait, so the client side adds almost nothing to the figure.
     */
    static String waitingMemory(URI uri) throws Exception {
        byte[] warm = REQUEST.getBytes(StandardCharsets.UTF_8);
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 200; i++) {
            client.send(
                    HttpRequest.newBuilder(uri)
                            .header("Content-Type", "application/json")
                            .header("x-relay-timeout", "1ms")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(warm))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        Thread.sleep(3000);
        long before = heapAfterGc();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        byte[] body = REQUEST.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + uri.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "x-relay-timeout: 120s\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        List<java.net.Socket> parked = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort());
            s.getOutputStream().write(head);
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            parked.add(s);
        }
        Thread.sleep(8000);
        long during = heapAfterGc();
        int threadsDuring = ManagementFactory.getThreadMXBean().getThreadCount();
        String waiting = new String(HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uri.getPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body()
                .lines()
                .filter(l -> l.startsWith("relay_ingress_sync_waiting"))
                .findFirst()
                .orElse("?"));
        for (java.net.Socket s : parked) {
            s.close();
        }
        return String.format(
                "1,000 sync calls waiting (%s): heap after GC %.1f MB before, %.1f MB while waiting,"
                        + " +%.1f MB, about %.1f KB per waiting call; platform threads %d -> %d (the waits park virtual threads)",
                waiting,
                before / 1e6,
                during / 1e6,
                (during - before) / 1e6,
                (during - before) / 1000.0 / 1000,
                threadsBefore,
                threadsDuring);
    }

    /** The lowest heap use seen over a few full GCs (noise from other threads only ever adds). */
    private static long heapAfterGc() throws InterruptedException {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(300);
            min = Math.min(
                    min,
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return min;
    }

    private static int intArg(String[] args, String name, int dflt) {
        return Integer.parseInt(strArg(args, name, Integer.toString(dflt)));
    }

    private static String strArg(String[] args, String name, String dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }
}
