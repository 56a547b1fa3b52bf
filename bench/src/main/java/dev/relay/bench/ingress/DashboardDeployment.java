package dev.relay.bench.ingress;

import dev.relay.bench.ChildJvm;
import dev.relay.schemas.Topics;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import dev.relay.testkit.provider.FakeProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One deployment measured by {@link DashboardLatencyBench}: a processor JVM and an ingress JVM, started as {@code
 * RelayMain processor|ingress} like production, on topics and a state dir of their own, so nothing of an earlier
 * deployment is projected or restored.
 */
record DashboardDeployment(Variant variant, Process processor, Process ingress, int port) implements AutoCloseable {

    /** A variant of the deployment: whether it has the log store (and an open dashboard), and at which priority. */
    record Variant(String name, boolean logsStore, boolean background) {
        static final List<Variant> ALL = List.of(
                new Variant("off", false, true),
                new Variant("open", true, true),
                new Variant("open-normal", true, false));

        static Variant named(String name) {
            return ALL.stream()
                    .filter(v -> v.name().equals(name))
                    .findFirst()
                    .orElseThrow(() ->
                            new IllegalArgumentException("no variant " + name + "; known: off, open, open-normal"));
        }
    }

    /** The child JVMs' options: {@code -Dbench.childJvm="..."} overrides them. */
    static List<String> childOptions() {
        return ChildJvm.options("bench.childJvm", "-Xmx1g -XX:MaxGCPauseMillis=5");
    }

    /** Creates the deployment's topics and starts its processor, then its ingress; returns once both serve. */
    static DashboardDeployment start(
            Variant v,
            String id,
            EmbeddedKafkaBroker broker,
            ApicurioRegistry registry,
            FakeProvider provider,
            Path dir)
            throws Exception {
        Topics topics = new Topics(id + ".", Topics.DEFAULT_MAX_HOPS);
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
                        dir.resolve("state-" + id),
                        port,
                        v.logsStore(),
                        v.background());
        Path config = dir.resolve(id + ".json");
        Files.writeString(config, json);
        Path processorLog = dir.resolve(id + "-processor.log");
        Process processor = ChildJvm.start(ChildJvm.PROCESSOR, childOptions(), config, processorLog);
        Process ingress = null;
        try {
            ChildJvm.awaitLine(processorLog, "-> RUNNING", processor, Duration.ofSeconds(120));
            Path ingressLog = dir.resolve(id + "-ingress.log");
            ingress = ChildJvm.start(ChildJvm.INGRESS, childOptions(), config, ingressLog);
            ChildJvm.awaitLine(ingressLog, "relay ingress listening", ingress, Duration.ofSeconds(120));
        } catch (Exception e) {
            processor.destroyForcibly();
            if (ingress != null) {
                ingress.destroyForcibly();
            }
            throw e;
        }
        System.out.println("deployment " + id + " up (ingress :" + port + ", logs in " + dir + ")");
        return new DashboardDeployment(v, processor, ingress, port);
    }

    URI chat() {
        return URI.create("http://127.0.0.1:" + port + "/v1/chat/completions");
    }

    URI dashboardApi(String path) {
        return URI.create("http://127.0.0.1:" + port + "/api/dashboard/" + path);
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
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
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

    /** CPU ticks of both JVMs (utime + stime of every thread, from {@code /proc/<pid>/stat}). */
    long processTicks() {
        long ticks = 0;
        for (Process p : List.of(processor, ingress)) {
            try {
                String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
            } catch (IOException e) {
                // ended
            }
        }
        return ticks;
    }

    @Override
    public void close() throws Exception {
        for (Process p : List.of(ingress, processor)) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
