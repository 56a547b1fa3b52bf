package dev.relay.bench.ingress;

import dev.relay.bench.ChildJvm;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The sync path's added latency without the log store and with it and an open dashboard, side by side in one run. One
 * broker, one registry and one local 0 ms provider in this JVM; one deployment per variant (a processor JVM and an
 * ingress JVM, started as {@code RelayMain processor|ingress} like production, on topics of their own):
 *
 * <ul>
 *   <li>{@code off}: {@code logs_store.enabled: false};
 *   <li>{@code open}: the SQLite log store at its defaults (background priority), and a browser's polling of the
 *       dashboard's JSON API while it is measured (the Logs view's refresh every 2 s, the Overview's every 5 s, as two
 *       open tabs do);
 *   <li>{@code open-normal}: the same with {@code logs_store.background_priority: false}, to show what the priority
 *       does.
 * </ul>
 *
 * Each round measures, per rate, the direct call to the provider and then every variant one after the other, the order
 * rotating between rounds; each phase is open loop as in {@link IngressLatencyBench}. While a variant is measured the
 * other deployments are paused (SIGSTOP): idle, each still took a share of the two cores. A resumed deployment gets
 * {@value #RESUME_SECONDS} s of the same traffic before its phase. Added = through the ingress -
 * direct. Prints Markdown and writes it to {@code --out}.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -B -q -DskipTests -pl bench -am package
 * dependency:build-classpath -Dmdep.outputFile=target/cp.txt}): {@code java -Xmx2g -cp "$CP"
 * dev.relay.bench.ingress.DashboardLatencyBench --seconds 15 --warm-up 30 --rates 100,500 --rounds 3 --out
 * bench/reports/dashboard-sync-path.md}. Target: p50 with the dashboard open within 1 ms of without.
 */
public final class DashboardLatencyBench {

    private static final String COMPLETION = "{\"id\":\"chatcmpl-b\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    private static final int RESUME_SECONDS = 3; // traffic after a resume, before the measured phase
    private static final long TICKS_PER_SECOND = 100; // USER_HZ, for /proc's per-thread CPU times

    private DashboardLatencyBench() {}

    /** A variant of the deployment: whether it has the log store (and an open dashboard), and at which priority. */
    private record Variant(String name, boolean logsStore, boolean background) {}

    private static final List<Variant> VARIANTS = List.of(
            new Variant("off", false, true), new Variant("open", true, true), new Variant("open-normal", true, false));

    /** One deployment: a processor JVM and an ingress JVM on topics of their own. */
    private record Deployment(Variant variant, Process processor, Process ingress, int port) implements AutoCloseable {
        URI chat() {
            return URI.create("http://127.0.0.1:" + port + "/v1/chat/completions");
        }

        /** CPU ticks of the ingress's log store threads: the projection and the dashboard's query threads. */
        long logStoreTicks() {
            long ticks = 0;
            try (Stream<Path> tasks = Files.list(Path.of("/proc/" + ingress.pid() + "/task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        String name = Files.readString(task.resolve("comm")).strip();
                        if (name.equals("relay-logstore") || name.startsWith("relay-dashboard")) {
                            String stat = Files.readString(task.resolve("stat"));
                            String[] f =
                                    stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            ticks += Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]); // utime, stime
                        }
                    } catch (IOException e) {
                        // the thread ended while we looked
                    }
                }
            } catch (IOException e) {
                return 0;
            }
            return ticks;
        }

        /** Pauses ({@code STOP}) or resumes ({@code CONT}) both JVMs of the deployment. */
        void signal(String signal) throws Exception {
            new ProcessBuilder("kill", "-" + signal, Long.toString(processor.pid()), Long.toString(ingress.pid()))
                    .inheritIO()
                    .start()
                    .waitFor();
        }

        @Override
        public void close() throws Exception {
            signal("CONT");
            for (Process p : List.of(ingress, processor)) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** The browser's polling of one deployment's dashboard API while that deployment is measured. */
    private static final class Dashboard {
        volatile Deployment open;
        final List<Long> micros = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger errors = new AtomicInteger();

        void poll(HttpClient client) {
            for (long tick = 0; ; tick++) {
                try {
                    Deployment d = open;
                    if (d != null) {
                        String base = "http://127.0.0.1:" + d.port() + "/api/dashboard/";
                        if (tick % 2 == 0) {
                            get(client, URI.create(base + "jobs?limit=50"));
                        }
                        if (tick % 5 == 0) {
                            get(client, URI.create(base + "overview?window_ms=3600000"));
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
                    errors.incrementAndGet();
                }
                micros.add((System.nanoTime() - t0) / 1000);
            } catch (IOException e) {
                errors.incrementAndGet();
            }
        }

        String summary() {
            long[] m;
            synchronized (micros) {
                m = micros.stream().mapToLong(Long::longValue).sorted().toArray();
            }
            return m.length == 0
                    ? "the dashboard made no calls"
                    : String.format(
                            "the open dashboards made %d calls (%d errors): p50 %.1f ms, max %.1f ms",
                            m.length, errors.get(), m[m.length / 2] / 1000.0, m[m.length - 1] / 1000.0);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = intArg(args, "--seconds", 15);
        int warmUp = intArg(args, "--warm-up", 30);
        int rounds = intArg(args, "--rounds", 3);
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
        // [rate][variant][round]: added p50
        double[][][] p50 = new double[rates.length][VARIANTS.size()][rounds];
        List<Deployment> deployments = new ArrayList<>();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                ApicurioRegistry registry = ApicurioRegistry.start(null, 0)) {
            try {
                for (Variant v : VARIANTS) {
                    deployments.add(deploy(v, broker, registry, provider, dir));
                }
                measure(deployments, dashboard, provider, rates, rounds, seconds, warmUp, p50, rows);
            } finally {
                for (Deployment dep : deployments) {
                    dep.close();
                }
            }
        } finally {
            provider.close();
        }
        String report = report(started, loadAtStart, rounds, seconds, warmUp, rates, p50, rows, dashboard);
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

    /** Warms every path up, then runs the rounds: per rate, the direct call and then each variant, in rotating order. */
    private static void measure(
            List<Deployment> deployments,
            Dashboard dashboard,
            FakeProvider provider,
            int[] rates,
            int rounds,
            int seconds,
            int warmUp,
            double[][][] p50,
            StringBuilder rows)
            throws Exception {
        HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Thread.ofPlatform().daemon().start(() -> dashboard.poll(client));
        URI direct = URI.create(provider.baseUrl() + "/v1/chat/completions");
        System.out.println("warm-up " + warmUp + " s ...");
        IngressLatencyBench.run(client, direct, 500, Math.max(1, warmUp / 3));
        for (Deployment d : deployments) {
            IngressLatencyBench.run(client, d.chat(), 100, Math.max(1, warmUp / 3));
            IngressLatencyBench.run(client, d.chat(), 250, Math.max(1, warmUp / 3));
        }
        for (int round = 0; round < rounds; round++) {
            for (int r = 0; r < rates.length; r++) {
                int rate = rates[r];
                IngressLatencyBench.Result d = IngressLatencyBench.run(client, direct, rate, seconds);
                for (int k = 0; k < deployments.size(); k++) {
                    int at = (k + round) % deployments.size();
                    Deployment dep = deployments.get(at);
                    // only the measured deployment runs: an idle processor and ingress still take CPU (polls,
                    // commits), and two idle deployments took about a core, so the others are paused (SIGSTOP)
                    for (Deployment other : deployments) {
                        other.signal(other == dep ? "CONT" : "STOP");
                    }
                    IngressLatencyBench.run(client, dep.chat(), rate, RESUME_SECONDS);
                    dashboard.open = dep.variant().logsStore() ? dep : null;
                    long[] cpu0 = Cpu.machine();
                    long ticks0 = dep.logStoreTicks();
                    long wall0 = System.nanoTime();
                    IngressLatencyBench.Result i = IngressLatencyBench.run(client, dep.chat(), rate, seconds);
                    double wall = (System.nanoTime() - wall0) / 1e9;
                    double busy = Cpu.busyShare(cpu0, Cpu.machine());
                    double store = (dep.logStoreTicks() - ticks0) / (double) TICKS_PER_SECOND / wall * 100;
                    dashboard.open = null;
                    p50[r][at][round] = i.p(50) - d.p(50);
                    String row = String.format(
                            "| %d | %d/s | %s | +%.2f | +%.2f | %.0f %% | %s | %d |%n",
                            round + 1,
                            rate,
                            dep.variant().name(),
                            i.p(50) - d.p(50),
                            i.p(99) - d.p(99),
                            busy,
                            dep.variant().logsStore() ? String.format("%.1f %%", store) : "-",
                            i.errors() + d.errors());
                    System.out.print(row);
                    rows.append(row);
                }
                for (Deployment other : deployments) {
                    other.signal("CONT");
                }
            }
        }
    }

    private static String report(
            Instant started,
            String loadAtStart,
            int rounds,
            int seconds,
            int warmUp,
            int[] rates,
            double[][][] p50,
            StringBuilder rows,
            Dashboard dashboard) {
        StringBuilder summary = new StringBuilder(
                "| rate | added p50, median of the rounds: off / open / open-normal | open - off | open-normal - off | target (open within 1 ms of off) |\n|---|---|---|---|---|\n");
        for (int r = 0; r < rates.length; r++) {
            double off = median(p50[r][0]);
            double open = median(p50[r][1]);
            double normal = median(p50[r][2]);
            summary.append(String.format(
                    "| %d/s | +%.2f / +%.2f / +%.2f ms | %+.2f ms | %+.2f ms | %s |%n",
                    rates[r],
                    off,
                    open,
                    normal,
                    open - off,
                    normal - off,
                    Math.abs(open - off) <= 1.0 ? "met" : "missed"));
        }
        return String.format(
                """
                # Sync path with the dashboard open (`DashboardLatencyBench`)

                Run %s, %d round(s) of %d s per phase after a %d s warm-up; load average %s at the start, %s at the end \
                (2 cores). Broker, registry, a local 0 ms provider and the load in the bench's JVM; each variant is a \
                processor JVM and an ingress JVM (`RelayMain`, options `%s`), exactly-once, commit 5 ms, on topics of \
                its own. `off`: `logs_store.enabled: false`. `open`: the SQLite log store at its defaults (background \
                priority) and the dashboard's JSON API polled as two open tabs do (Logs every 2 s, Overview every \
                5 s) while it is measured. `open-normal`: the same with `logs_store.background_priority: false`. \
                The deployments not measured are paused (SIGSTOP); a resumed one gets %d s of the same traffic \
                before its phase. Added = through the ingress - direct (the direct call measured once per rate and \
                round). Machine = \
                busy share of both cores during the phase; log store = CPU of the ingress's projection and dashboard \
                threads, %% of one core.

                | round | rate | variant | added p50 ms | added p99 ms | machine | log store | errors |
                |---|---|---|---|---|---|---|---|
                %s
                %s
                %s.
                """,
                started,
                rounds,
                seconds,
                warmUp,
                loadAtStart,
                loadAverage(),
                String.join(" ", childOptions()),
                RESUME_SECONDS,
                rows,
                summary,
                dashboard.summary());
    }

    private static List<String> childOptions() {
        return ChildJvm.options("bench.childJvm", "-Xmx1g -XX:MaxGCPauseMillis=5");
    }

    private static Deployment deploy(
            Variant v, EmbeddedKafkaBroker broker, ApicurioRegistry registry, FakeProvider provider, Path dir)
            throws Exception {
        Topics topics = new Topics(v.name() + ".", Topics.DEFAULT_MAX_HOPS);
        TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
        int port = ChildJvm.freePort();
        String json = """
                {"providers": {"local": {"type": "openai-compatible", "keys": [{"name": "k", "value": "sk-bench"}],
                                       "network_config": {"base_url": "%s"}}},
                 "circuit_breaker": {"enabled": false}, "metrics": {"port": 0},
                 "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                           "application_id": "%sprocessor", "state_dir": "%s"},
                 "ingress": {"port": %d, "sync_timeout": "60s"},
                 "logs_store": {"enabled": %s, "background_priority": %s}}
                """.formatted(
                        provider.baseUrl(),
                        broker.bootstrapServers(),
                        registry.ccompatUrl(),
                        topics.prefix(),
                        topics.prefix(),
                        dir.resolve("state-" + v.name()),
                        port,
                        v.logsStore(),
                        v.background());
        Path config = dir.resolve(v.name() + ".json");
        Files.writeString(config, json);
        Path processorLog = dir.resolve(v.name() + "-processor.log");
        Process processor = ChildJvm.start(ChildJvm.PROCESSOR, childOptions(), config, processorLog);
        Process ingress = null;
        try {
            ChildJvm.awaitLine(processorLog, "-> RUNNING", processor, Duration.ofSeconds(120));
            Path ingressLog = dir.resolve(v.name() + "-ingress.log");
            ingress = ChildJvm.start(ChildJvm.INGRESS, childOptions(), config, ingressLog);
            ChildJvm.awaitLine(ingressLog, "relay ingress listening", ingress, Duration.ofSeconds(120));
        } catch (Exception e) {
            processor.destroyForcibly();
            if (ingress != null) {
                ingress.destroyForcibly();
            }
            throw e;
        }
        System.out.println("deployment " + v.name() + " up (ingress :" + port + ", logs in " + dir + ")");
        return new Deployment(v, processor, ingress, port);
    }

    /** The machine's CPU from {@code /proc/stat}: busy and total jiffies. */
    private static final class Cpu {
        static long[] machine() {
            try {
                String[] f =
                        Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle, iowait
                return new long[] {total - idle, total};
            } catch (IOException e) {
                return new long[] {0, 1};
            }
        }

        static double busyShare(long[] before, long[] after) {
            return 100.0 * (after[0] - before[0]) / Math.max(1, after[1] - before[1]);
        }
    }

    private static double median(double[] values) {
        double[] d = values.clone();
        Arrays.sort(d);
        return d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
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
