package dev.relay.bench.ingress;

import dev.relay.bench.ChildJvm;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.logstore.ProcStat;
import dev.relay.processor.RelayProcessor;
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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One deployment measured by {@link DashboardLatencyBench}: a processor and an ingress on topics and a state dir of
 * their own, so nothing of an earlier deployment is projected or restored. In the {@code one-jvm} shape both run in the
 * bench's JVM, whose compiled code every deployment reuses; in the {@code split} shape each is a JVM of its own,
 * started as {@code RelayMain processor|ingress} like production.
 */
final class DashboardDeployment implements AutoCloseable {

    /** A variant of the deployment: whether it has the log store (and an open dashboard), and at which priority. */
    record Variant(String name, boolean logsStore, boolean background) {
        static final List<Variant> ALL = List.of(
                new Variant("off", false, true),
                new Variant("open", true, true),
                new Variant("open-normal", true, false),
                new Variant("off-again", false, true));

        static Variant named(String name) {
            return ALL.stream()
                    .filter(v -> v.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            "no variant " + name + "; known: off, open, open-normal, off-again"));
        }
    }

    /** Where the processor and the ingress run. */
    enum Shape {
        ONE_JVM,
        SPLIT;

        static Shape named(String name) {
            return switch (name) {
                case "one-jvm" -> ONE_JVM;
                case "split" -> SPLIT;
                default -> throw new IllegalArgumentException("--shape is one-jvm or split, not " + name);
            };
        }
    }

    private final Variant variant;
    private final int port;
    private final AutoCloseable processor;
    private final AutoCloseable ingress;
    private final long ingressPid;

    private DashboardDeployment(Variant variant, int port, AutoCloseable processor, AutoCloseable ingress, long pid) {
        this.variant = variant;
        this.port = port;
        this.processor = processor;
        this.ingress = ingress;
        this.ingressPid = pid;
    }

    /** The child JVMs' options in the split shape: {@code -Dbench.childJvm="..."} overrides them. */
    static List<String> childOptions() {
        return ChildJvm.options("bench.childJvm", "-Xmx1g -XX:MaxGCPauseMillis=5");
    }

    /** Creates the deployment's topics and starts its processor, then its ingress; returns once both serve. */
    static DashboardDeployment start(
            Shape shape,
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
        DashboardDeployment d = shape == Shape.ONE_JVM ? inThisJvm(v, json, port) : split(v, id, json, port, dir);
        System.out.println("deployment " + id + " up (ingress :" + port + ", " + shape + ")");
        return d;
    }

    private static DashboardDeployment inThisJvm(Variant v, String json, int port) throws InterruptedException {
        RelayConfig config = new ConfigLoader(n -> Optional.empty()).parse(json, "bench");
        RelayProcessor processor = RelayProcessor.start(config);
        try {
            if (!processor.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("processor not RUNNING in 120 s");
            }
            RelayIngress ingress = RelayIngress.start(config);
            return new DashboardDeployment(
                    v, port, processor, ingress, ProcessHandle.current().pid());
        } catch (RuntimeException e) {
            processor.close();
            throw e;
        }
    }

    private static DashboardDeployment split(Variant v, String id, String json, int port, Path dir) throws Exception {
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
        return new DashboardDeployment(v, port, stopper(processor), stopper(ingress), ingress.pid());
    }

    private static AutoCloseable stopper(Process p) {
        return () -> {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        };
    }

    Variant variant() {
        return variant;
    }

    URI chat() {
        return URI.create("http://127.0.0.1:" + port + "/v1/chat/completions");
    }

    URI dashboardApi(String path) {
        return URI.create("http://127.0.0.1:" + port + "/api/dashboard/" + path);
    }

    /** CPU ticks of the log store's threads (the projection and the dashboard's queries) in the ingress's JVM. */
    long logStoreTicks() {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + ingressPid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    ProcStat t = ProcStat.read(task.resolve("stat"));
                    if (t.comm().equals("relay-logstore") || t.comm().startsWith("relay-dashboard")) {
                        ticks += t.cpuTicks();
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

    @Override
    public void close() throws Exception {
        ingress.close();
        processor.close();
    }
}
