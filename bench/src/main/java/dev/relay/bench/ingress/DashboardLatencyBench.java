package dev.relay.bench.ingress;

import dev.relay.bench.ingress.DashboardDeployment.Variant;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sync path's added latency without the log store and with it and an open dashboard, side by side in one run. One
 * broker, one registry and one local 0 ms provider in this JVM; the deployments measured are a processor and an
 * ingress ({@link DashboardDeployment}), one at a time, each started fresh on topics of its own, in this JVM ({@code
 * --shape one-jvm}, the default, as {@link IngressLatencyBench} runs them) or in a JVM each ({@code --shape split}):
 *
 * <ul>
 *   <li>{@code off}: {@code logs_store.enabled: false};
 *   <li>{@code open}: the SQLite log store at its defaults (background priority), and a browser's polling of the
 *       dashboard's JSON API for as long as the deployment runs (the Logs view's refresh every 2 s, the Overview's
 *       every 5 s, as two open tabs do);
 *   <li>{@code open-normal} (with {@code --variants off,open,open-normal}): the same with {@code
 *       logs_store.background_priority: false}, to show what the priority does;
 *   <li>{@code off-again}: {@code off} once more, an A/A comparison whose difference from {@code off} is the bench's
 *       own resolution on the machine it runs on.
 * </ul>
 *
 * Each round measures, per rate, the direct call to the provider, then starts each variant in turn (the order
 * rotating between rounds, so off-open in one round is open-off in the next), warms it up and measures every rate,
 * and stops it before the next one starts: only the deployment measured uses the machine. Each phase is open loop as
 * in {@link IngressLatencyBench}. Added = through the ingress - direct. The figure the target is judged on is the
 * median over the rounds of each round's difference (variant - off), which cancels what drifts between rounds.
 * Prints Markdown and writes it to {@code --out}.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -B -q -DskipTests -pl bench -am package
 * dependency:build-classpath -Dmdep.outputFile=target/cp.txt}): {@code java -Xmx2g -cp "$CP"
 * -XX:MaxGCPauseMillis=5 dev.relay.bench.ingress.DashboardLatencyBench --seconds 15 --warm-up 20 --rates 100,500 --rounds 4 --out
 * bench/reports/dashboard-sync-path.md}. Target: p50 with the dashboard open within 1 ms of without (at most 1 ms more).
 */
public final class DashboardLatencyBench {

    private static final String COMPLETION = "{\"id\":\"chatcmpl-b\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    private static final int RATE_WARM_UP_SECONDS = 5; // at each rate, before its measured phase
    private static final long TICKS_PER_SECOND = 100; // USER_HZ, for /proc's CPU times

    private DashboardLatencyBench() {}

    /** The browser's polling of the running deployment's dashboard API, when that deployment has a log store. */
    private static final class Dashboard {
        volatile DashboardDeployment open;
        final List<Long> micros = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger errors = new AtomicInteger();

        void poll(HttpClient client) {
            for (long tick = 0; ; tick++) {
                try {
                    DashboardDeployment d = open;
                    if (d != null) {
                        if (tick % 2 == 0) {
                            get(client, d.dashboardApi("jobs?limit=50"));
                        }
                        if (tick % 5 == 0) {
                            get(client, d.dashboardApi("overview?window_ms=3600000"));
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

    /** What one run measures. */
    private record Plan(
            DashboardDeployment.Shape shape,
            int seconds,
            int warmUp,
            int rounds,
            int[] rates,
            List<Variant> variants) {}

    public static void main(String[] args) throws Exception {
        Plan plan = new Plan(
                DashboardDeployment.Shape.named(strArg(args, "--shape", "one-jvm")),
                intArg(args, "--seconds", 20),
                intArg(args, "--warm-up", 20),
                intArg(args, "--rounds", 4),
                Arrays.stream(strArg(args, "--rates", "100,500").split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray(),
                Arrays.stream(strArg(args, "--variants", "off,open,off-again").split(","))
                        .map(Variant::named)
                        .toList());
        if (!plan.variants().get(0).name().equals("off")) {
            throw new IllegalArgumentException("--variants must start with off, the baseline");
        }
        Path out = Path.of(strArg(args, "--out", "bench/reports/dashboard-sync-path.md"));
        String loadAtStart = loadAverage();
        Instant started = Instant.now();
        Path dir = Files.createTempDirectory("relay-bench-dashboard");
        FakeProvider provider = FakeProvider.start().recording(false).reply(Reply.json(200, COMPLETION));
        Dashboard dashboard = new Dashboard();
        StringBuilder rows = new StringBuilder();
        // [rate][variant][round]: added p50
        double[][][] p50 = new double[plan.rates().length][plan.variants().size()][plan.rounds()];
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                ApicurioRegistry registry = ApicurioRegistry.start(null, 0)) {
            measure(plan, broker, registry, provider, dir, dashboard, p50, rows);
        } finally {
            provider.close();
        }
        String report = report(started, loadAtStart, plan, p50, rows, dashboard);
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

    /** Runs the rounds: per round, the direct call at each rate, then each variant started, measured and stopped. */
    private static void measure(
            Plan plan,
            EmbeddedKafkaBroker broker,
            ApicurioRegistry registry,
            FakeProvider provider,
            Path dir,
            Dashboard dashboard,
            double[][][] p50,
            StringBuilder rows)
            throws Exception {
        HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Thread.ofPlatform().daemon().start(() -> dashboard.poll(client));
        URI direct = URI.create(provider.baseUrl() + "/v1/chat/completions");
        IngressLatencyBench.run(client, direct, 500, 5); // this JVM's load generator and provider
        int[] rates = plan.rates();
        List<Variant> variants = plan.variants();
        // an unmeasured deployment of the last variant first, so that the broker, and in the one-JVM shape the
        // request path and the log store, are compiled before the first measured deployment starts
        try (DashboardDeployment dep = DashboardDeployment.start(
                plan.shape(), variants.getLast(), "warm-up", broker, registry, provider, dir)) {
            dashboard.open = dep.variant().logsStore() ? dep : null;
            System.out.println("warm-up deployment, " + plan.warmUp() + " s ...");
            IngressLatencyBench.run(client, dep.chat(), 250, plan.warmUp());
            for (int rate : rates) {
                IngressLatencyBench.run(client, dep.chat(), rate, RATE_WARM_UP_SECONDS);
            }
            dashboard.open = null;
        }
        for (int round = 0; round < plan.rounds(); round++) {
            IngressLatencyBench.Result[] directs = new IngressLatencyBench.Result[rates.length];
            for (int r = 0; r < rates.length; r++) {
                directs[r] = IngressLatencyBench.run(client, direct, rates[r], Math.max(5, plan.seconds() / 2));
            }
            for (int k = 0; k < variants.size(); k++) {
                int at = (k + round) % variants.size();
                Variant v = variants.get(at);
                try (DashboardDeployment dep = DashboardDeployment.start(
                        plan.shape(), v, "r" + (round + 1) + "-" + v.name(), broker, registry, provider, dir)) {
                    dashboard.open = v.logsStore() ? dep : null;
                    System.out.println("warm-up " + plan.warmUp() + " s ...");
                    IngressLatencyBench.run(client, dep.chat(), 250, plan.warmUp());
                    for (int r = 0; r < rates.length; r++) {
                        IngressLatencyBench.run(client, dep.chat(), rates[r], RATE_WARM_UP_SECONDS);
                        long[] cpu0 = Cpu.machine();
                        long store0 = dep.logStoreTicks();
                        long wall0 = System.nanoTime();
                        IngressLatencyBench.Result i =
                                IngressLatencyBench.run(client, dep.chat(), rates[r], plan.seconds());
                        double wall = (System.nanoTime() - wall0) / 1e9;
                        double busy = Cpu.busyShare(cpu0, Cpu.machine());
                        double store = (dep.logStoreTicks() - store0) / (double) TICKS_PER_SECOND / wall * 100;
                        IngressLatencyBench.Result d = directs[r];
                        p50[r][at][round] = i.p(50) - d.p(50);
                        String row = String.format(
                                "| %d | %d/s | %s | %+.2f | %+.2f | %.0f %% | %s | %d |%n",
                                round + 1,
                                rates[r],
                                v.name(),
                                i.p(50) - d.p(50),
                                i.p(99) - d.p(99),
                                busy,
                                v.logsStore() ? String.format("%.1f %%", store) : "-",
                                i.errors() + d.errors());
                        System.out.print(row.strip() + " threads in this JVM: "
                                + java.lang.management.ManagementFactory.getThreadMXBean()
                                        .getThreadCount()
                                + "\n");
                        rows.append(row);
                    }
                    dashboard.open = null; // before the deployment stops (try-with-resources closes before finally)
                } finally {
                    dashboard.open = null;
                }
            }
        }
    }

    private static String report(
            Instant started, String loadAtStart, Plan plan, double[][][] p50, StringBuilder rows, Dashboard dashboard) {
        List<Variant> variants = plan.variants();
        StringBuilder summary = new StringBuilder("| rate | variant | added p50, median of the rounds | "
                + "difference from off, per round | median difference | target (adds at most 1 ms to off) |\n"
                + "|---|---|---|---|---|---|\n");
        for (int r = 0; r < plan.rates().length; r++) {
            for (int k = 0; k < variants.size(); k++) {
                double[] diff = new double[plan.rounds()];
                StringBuilder each = new StringBuilder();
                for (int round = 0; round < plan.rounds(); round++) {
                    diff[round] = p50[r][k][round] - p50[r][0][round];
                    each.append(round == 0 ? "" : ", ").append(String.format("%+.2f", diff[round]));
                }
                boolean baseline = k == 0;
                summary.append(String.format(
                        "| %d/s | %s | %+.2f ms | %s | %s | %s |%n",
                        plan.rates()[r],
                        variants.get(k).name(),
                        median(p50[r][k]),
                        baseline ? "-" : each,
                        baseline ? "-" : String.format("%+.2f ms", median(diff)),
                        baseline || !variants.get(k).logsStore() ? "-" : median(diff) <= 1.0 ? "met" : "missed"));
            }
        }
        return String.format(
                """
                # Sync path with the dashboard open (`DashboardLatencyBench`)

                Run %s, %d round(s); in each, per variant, a fresh deployment, %d s of warm-up at 250/s, then per \
                rate %d s of warm-up and %d s measured; before the rounds, one unmeasured deployment of the last \
                variant warms everything up. Load average %s at the start, %s at the end (2 cores). Broker, \
                registry, a local 0 ms provider and the load in the bench's JVM; %s; exactly-once, commit 5 ms, \
                on topics of its own, and only the one measured runs. `off`: `logs_store.enabled: false`. `open`: \
                the SQLite log store at its defaults (background priority) and the dashboard's JSON API polled as \
                two open tabs do (Logs every 2 s, Overview every 5 s). `open-normal`: the same with \
                `logs_store.background_priority: false`. `off-again`: `off` once more (an A/A comparison: its \
                difference from `off` is the bench's own resolution). Added = through the ingress - direct (the direct call \
                measured at the start of each round). Machine = busy share of both cores during the phase; log \
                store = the ingress's projection and dashboard threads, %% of one core.

                | round | rate | variant | added p50 ms | added p99 ms | machine | log store | errors |
                |---|---|---|---|---|---|---|---|
                %s
                %s
                %s.
                """,
                started,
                plan.rounds(),
                plan.warmUp(),
                RATE_WARM_UP_SECONDS,
                plan.seconds(),
                loadAtStart,
                loadAverage(),
                plan.shape() == DashboardDeployment.Shape.ONE_JVM
                        ? "each deployment's processor and ingress in the bench's JVM too (`-Xmx2g`), as "
                                + "`IngressLatencyBench` runs them"
                        : "each deployment a processor JVM and an ingress JVM (`RelayMain`, options `"
                                + String.join(" ", DashboardDeployment.childOptions()) + "`)",
                rows,
                summary,
                dashboard.summary());
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
