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
import dev.relay.testkit.provider.Reply;
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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sync path's added latency without the log store and with it and an open dashboard, side by side in one run:
 * one broker, one registry, one local 0 ms provider, and two deployments (processor + ingress each, in this JVM) on
 * topics of their own: "without" has {@code logs_store.enabled: false}; "with" has the SQLite log store and, during
 * its measured phases, a browser's polling of the dashboard's JSON API (the Logs view's live refresh every 2 s and the
 * Overview's every 5 s, as two open tabs do). Each round measures, per rate, both deployments one after the other
 * (the order alternates between rounds), each phase as {@link IngressLatencyBench} does: the direct call, then the
 * call through the ingress, open loop; added = ingress - direct. Prints Markdown and writes it to {@code --out}.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -B -q -DskipTests -pl bench -am package}): {@code java -Xmx2g
 * -XX:MaxGCPauseMillis=5 -cp "$CP" dev.relay.bench.ingress.DashboardLatencyBench --seconds 15 --warm-up 30 --rates
 * 100,500 --rounds 3 --out bench/reports/dashboard-sync-path.md}. Target: p50 with the dashboard open within 1 ms of
 * without.
 */
public final class DashboardLatencyBench {

    private static final String COMPLETION = "{\"id\":\"chatcmpl-b\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

    private static final com.sun.management.OperatingSystemMXBean CPU = (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private DashboardLatencyBench() {}

    /** One deployment: a processor and an ingress on topics of their own. */
    private record Stack(String name, RelayProcessor processor, RelayIngress ingress, URI uri)
            implements AutoCloseable {
        @Override
        public void close() {
            ingress.close();
            processor.close();
        }
    }

    /** What the open dashboard asked and how long its answers took, during the measured phases. */
    private static final class Dashboard {
        final AtomicBoolean open = new AtomicBoolean();
        final List<Long> micros = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile int errors;

        void poll(HttpClient client, int port) {
            URI logs = URI.create("http://127.0.0.1:" + port + "/api/dashboard/jobs?limit=50");
            URI overview = URI.create("http://127.0.0.1:" + port + "/api/dashboard/overview?window_ms=3600000");
            for (long tick = 0; ; tick++) {
                try {
                    if (open.get()) {
                        if (tick % 2 == 0) {
                            get(client, logs);
                        }
                        if (tick % 5 == 0) {
                            get(client, overview);
                        }
                    }
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void get(HttpClient client, URI uri) throws InterruptedException {
            long t0 = System.nanoTime();
            try {
                HttpResponse<Void> r =
                        client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() != 200) {
                    errors++;
                }
                micros.add((System.nanoTime() - t0) / 1000);
            } catch (IOException e) {
                errors++;
            }
        }

        String summary() {
            long[] m;
            synchronized (micros) {
                m = micros.stream().mapToLong(Long::longValue).sorted().toArray();
            }
            if (m.length == 0) {
                return "the dashboard made no calls";
            }
            return String.format(
                    "the open dashboard made %d calls (%d errors): p50 %.1f ms, max %.1f ms",
                    m.length, errors, m[m.length / 2] / 1000.0, m[m.length - 1] / 1000.0);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = intArg(args, "--seconds", 15);
        int warmUp = intArg(args, "--warm-up", 30);
        int rounds = intArg(args, "--rounds", 3);
        int commitMs = intArg(args, "--commit-interval", 5);
        int[] rates = Arrays.stream(strArg(args, "--rates", "100,500").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        Path out = Path.of(strArg(args, "--out", "bench/reports/dashboard-sync-path.md"));
        String loadAtStart = loadAverage();
        Instant started = Instant.now();
        Path dir = Files.createTempDirectory("relay-bench-dashboard");
        FakeProvider provider = FakeProvider.start().recording(false).reply(Reply.json(200, COMPLETION));
        Dashboard dashboard = new Dashboard();
        StringBuilder rows = new StringBuilder();
        List<double[]> differences = new ArrayList<>(); // per rate index: p50 differences of each round
        for (int i = 0; i < rates.length; i++) {
            differences.add(new double[rounds]);
        }
        String projected;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                ApicurioRegistry registry = ApicurioRegistry.start(null, 0);
                Stack without = stack("without", false, broker, registry, provider, commitMs, dir);
                Stack with = stack("with", true, broker, registry, provider, commitMs, dir)) {
            HttpClient client =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Thread.ofPlatform()
                    .daemon()
                    .start(() -> dashboard.poll(client, with.ingress().port()));
            URI direct = URI.create(provider.baseUrl() + "/v1/chat/completions");
            System.out.println("warm-up " + warmUp + " s ...");
            IngressLatencyBench.run(client, direct, 500, Math.max(1, warmUp / 3));
            for (Stack s : List.of(without, with)) {
                IngressLatencyBench.run(client, s.uri(), 100, Math.max(1, warmUp / 3));
                IngressLatencyBench.run(client, s.uri(), 250, Math.max(1, warmUp / 3));
            }
            for (int round = 1; round <= rounds; round++) {
                for (int r = 0; r < rates.length; r++) {
                    int rate = rates[r];
                    List<Stack> order = round % 2 == 1 ? List.of(without, with) : List.of(with, without);
                    double[] added = new double[4]; // without p50, p99, with p50, p99
                    double[] cpu = new double[2];
                    for (Stack s : order) {
                        IngressLatencyBench.Result d = IngressLatencyBench.run(client, direct, rate, seconds);
                        dashboard.open.set(s == with);
                        long cpu0 = CPU.getProcessCpuTime();
                        long wall0 = System.nanoTime();
                        IngressLatencyBench.Result i = IngressLatencyBench.run(client, s.uri(), rate, seconds);
                        double share = (CPU.getProcessCpuTime() - cpu0)
                                / (double) (System.nanoTime() - wall0)
                                / Runtime.getRuntime().availableProcessors()
                                * 100;
                        dashboard.open.set(false);
                        int at = s == with ? 2 : 0;
                        added[at] = i.p(50) - d.p(50);
                        added[at + 1] = i.p(99) - d.p(99);
                        cpu[at / 2] = share;
                        if (i.errors() > 0 || d.errors() > 0) {
                            System.out.printf(
                                    "round %d, %d/s, %s: %d errors direct, %d through the ingress%n",
                                    round, rate, s.name(), d.errors(), i.errors());
                        }
                    }
                    differences.get(r)[round - 1] = added[2] - added[0];
                    String row = String.format(
                            "| %d | %d/s | +%.2f / +%.2f | +%.2f / +%.2f | %+.2f ms | %.0f %% / %.0f %% |%n",
                            round, rate, added[0], added[1], added[2], added[3], added[2] - added[0], cpu[0], cpu[1]);
                    System.out.print(row);
                    rows.append(row);
                }
            }
            projected = String.format(
                    "the log store projected %,d records (%,d attempts)",
                    with.ingress().logStore().orElseThrow().projector().projected(),
                    with.ingress().logStore().orElseThrow().projector().attemptsProjected());
        } finally {
            provider.close();
        }
        StringBuilder summary =
                new StringBuilder("| rate | p50 difference, median of the rounds | target |\n|---|---|---|\n");
        for (int r = 0; r < rates.length; r++) {
            double[] d = differences.get(r).clone();
            Arrays.sort(d);
            double median = d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
            summary.append(String.format(
                    "| %d/s | %+.2f ms | %s |%n",
                    rates[r], median, Math.abs(median) <= 1.0 ? "met (<= 1 ms)" : "missed"));
        }
        String report = String.format(
                """
                # Sync path with the dashboard open (`DashboardLatencyBench`)

                Run %s, %d round(s) of %d s per phase after a %d s warm-up; load average %s at the start, %s at the end \
                (2 cores). The processors and ingresses in the bench's JVM, exactly-once, commit %d ms, a local 0 ms \
                provider. "Without": `logs_store.enabled: false`. "With": the SQLite log store, and the dashboard's \
                JSON API polled as two open tabs do (Logs every 2 s, Overview every 5 s) during its phases. Added = \
                through the ingress - direct, per phase. CPU = the bench's JVM, %% of all cores, in the ingress phase.

                | round | rate | without: added p50 / p99 ms | with: added p50 / p99 ms | p50 difference | CPU without / with |
                |---|---|---|---|---|---|
                %s
                %s
                %s; %s.
                """,
                started,
                rounds,
                seconds,
                warmUp,
                loadAtStart,
                loadAverage(),
                commitMs,
                rows,
                summary,
                dashboard.summary(),
                projected);
        System.out.println();
        System.out.println(report);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, report);
        System.out.println("written to " + out);
        System.exit(0);
    }

    private static Stack stack(
            String name,
            boolean logsStore,
            EmbeddedKafkaBroker broker,
            ApicurioRegistry registry,
            FakeProvider provider,
            int commitMs,
            Path dir)
            throws Exception {
        Topics topics = new Topics(name + ".", Topics.DEFAULT_MAX_HOPS);
        TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
        String json = """
                {"providers": {"local": {"type": "openai-compatible", "keys": [{"name": "k", "value": "sk-bench"}],
                                       "network_config": {"base_url": "%s"}}},
                 "circuit_breaker": {"enabled": false}, "metrics": {"port": 0},
                 "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                           "application_id": "%sprocessor", "commit_interval": "%dms", "poll_interval": "5ms",
                           "state_dir": "%s"},
                 "ingress": {"port": 0, "sync_timeout": "60s"},
                 "logs_store": {"enabled": %s}}
                """.formatted(
                        provider.baseUrl(),
                        broker.bootstrapServers(),
                        registry.ccompatUrl(),
                        topics.prefix(),
                        topics.prefix(),
                        commitMs,
                        dir.resolve("state-" + name),
                        logsStore);
        RelayConfig config = new ConfigLoader(n -> Optional.empty()).parse(json, "bench-" + name);
        RelayProcessor processor = RelayProcessor.start(config);
        if (!processor.awaitRunning(Duration.ofSeconds(120))) {
            processor.close();
            throw new IllegalStateException("the " + name + " processor did not reach RUNNING");
        }
        RelayIngress ingress = RelayIngress.start(config);
        return new Stack(
                name, processor, ingress, URI.create("http://127.0.0.1:" + ingress.port() + "/v1/chat/completions"));
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
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
