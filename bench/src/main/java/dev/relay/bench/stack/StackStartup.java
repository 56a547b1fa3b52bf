package dev.relay.bench.stack;

import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.stack.ApicurioDistribution;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Measures how long the local stack takes to come up: the in-JVM Kafka broker (cold, in a fresh JVM each run, and
 * restarted on its existing data) and the Apicurio Registry child JVM (in memory, H2 file on an empty directory, H2
 * file restarted on existing data). Prints the figures and writes {@code bench/reports/stack-startup.md}.
 *
 * <pre>
 * ./mvnw -q -pl bench -am compile
 * java -cp bench/target/classes:$(cat bench/target/classpath.txt) dev.relay.bench.stack.StackStartup 5
 * </pre>
 */
public final class StackStartup {

    private static final String CHILD_FLAG = "--child-broker";

    private StackStartup() {}

    public static void main(String[] args) throws Exception {
        // before the first logger exists: logback's default (DEBUG) would measure Kafka's logging, not its start-up
        System.getProperties().putIfAbsent("logback.configurationFile", "dev/relay/bench/stack/logback-stack.xml");
        if (args.length == 2 && args[0].equals(CHILD_FLAG)) {
            childBroker(Path.of(args[1]));
            return;
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/reports/stack-startup.md");
        Map<String, List<Long>> figures = new LinkedHashMap<>();
        Path home = ApicurioDistribution.fromEnvironment().home(); // unpack once, outside the timings
        String loadBefore = loadAverage();
        for (int i = 1; i <= runs; i++) {
            System.out.printf("run %d/%d%n", i, runs);
            brokerRun(figures);
            registryRun(figures, home);
        }
        String md = report(figures, runs, loadBefore, loadAverage());
        System.out.println(md);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md);
        System.out.println("wrote " + report.toAbsolutePath());
    }

    /** One broker measurement in a fresh JVM, so every run pays class loading as {@code relay up} does. */
    private static void brokerRun(Map<String, List<Long>> figures) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("relay-bench-kafka-");
        try {
            long t0 = System.nanoTime();
            Process child = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx512m",
                            "-cp",
                            classpath(),
                            StackStartup.class.getName(),
                            CHILD_FLAG,
                            dir.toString())
                    .redirectErrorStream(true)
                    .start();
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("COLD ")) {
                        add(
                                figures,
                                "broker: JVM launch to broker ready (fresh JVM, empty dir)",
                                (System.nanoTime() - t0) / 1_000_000);
                        add(figures, "broker: start() cold, empty dir (in-process)", Long.parseLong(line.substring(5)));
                    } else if (line.startsWith("RESTART ")) {
                        add(
                                figures,
                                "broker: start() restart on existing data (same JVM)",
                                Long.parseLong(line.substring(8)));
                    } else if (line.startsWith("STOP ")) {
                        add(figures, "broker: close()", Long.parseLong(line.substring(5)));
                    }
                }
            }
            if (child.waitFor() != 0) {
                throw new IllegalStateException("broker child exited with " + child.exitValue());
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void childBroker(Path dir) {
        Topics topics = Topics.defaults();
        long t0 = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0)) {
            System.out.println("COLD " + (System.nanoTime() - t0) / 1_000_000);
            TopicSetup.createAll(broker.bootstrapServers(), topics, 4);
            long s0 = System.nanoTime();
            broker.close();
            System.out.println("STOP " + (System.nanoTime() - s0) / 1_000_000);
        }
        long t1 = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0)) {
            System.out.println("RESTART " + (System.nanoTime() - t1) / 1_000_000);
            if (!TopicSetup.createAll(broker.bootstrapServers(), topics, 4).isEmpty()) {
                throw new IllegalStateException("topics were lost across the restart");
            }
        }
    }

    private static void registryRun(Map<String, List<Long>> figures, Path home) throws IOException {
        long t0 = System.nanoTime();
        try (ApicurioRegistry registry = ApicurioRegistry.start(null, 0, home)) {
            add(figures, "registry: start, in-memory H2", (System.nanoTime() - t0) / 1_000_000);
        }
        Path dir = Files.createTempDirectory("relay-bench-registry-");
        try {
            Schema schema = new Schema.Parser()
                    .parse("{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
            long t1 = System.nanoTime();
            int id;
            try (ApicurioRegistry registry = ApicurioRegistry.start(dir, 0, home)) {
                add(figures, "registry: start, H2 file, empty dir", (System.nanoTime() - t1) / 1_000_000);
                id = SchemaRegistryClient.create(registry.ccompatUrl()).register("bench-value", schema);
                long s0 = System.nanoTime();
                registry.close();
                add(figures, "registry: close()", (System.nanoTime() - s0) / 1_000_000);
            }
            long t2 = System.nanoTime();
            try (ApicurioRegistry registry = ApicurioRegistry.start(dir, 0, home)) {
                add(
                        figures,
                        "registry: start, H2 file, restart on existing data",
                        (System.nanoTime() - t2) / 1_000_000);
                if (SchemaRegistryClient.create(registry.ccompatUrl()).getById(id) == null) {
                    throw new IllegalStateException("schema lost across the restart");
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void add(Map<String, List<Long>> figures, String what, long ms) {
        figures.computeIfAbsent(what, k -> new ArrayList<>()).add(ms);
        System.out.printf("  %-60s %6d ms%n", what, ms);
    }

    /** The 1/5/15-minute load averages (Linux), because on a shared machine they explain most of the spread. */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String report(Map<String, List<Long>> figures, int runs, String loadBefore, String loadAfter) {
        StringBuilder md = new StringBuilder();
        md.append("# Local stack start-up\n\n")
                .append("Measured by `dev.relay.bench.stack.StackStartup` on ")
                .append(Instant.now())
                .append(", ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Java ")
                .append(Runtime.version())
                .append(", Apicurio Registry ")
                .append(ApicurioDistribution.version())
                .append(", ")
                .append(runs)
                .append(" runs. Load average (1/5/15 min) before: ")
                .append(loadBefore)
                .append(", after: ")
                .append(loadAfter)
                .append(".\n\n")
                .append("\"Ready\" means: broker answers `describeCluster` with a node; registry answers 200 on ")
                .append("`GET /apis/ccompat/v7/subjects` (and `PUT /config` BACKWARD is done). Each broker run is a ")
                .append("fresh JVM (class loading included, as in `relay up`); the restart is in that same JVM. ")
                .append("Each registry start is a new child JVM, mapping the registry's class data archive when one ")
                .append("was recorded before (see docs/local-stack.md). Other work on the machine adds noise.\n\n")
                .append("| what | min | median | max | all runs (ms) |\n| --- | ---: | ---: | ---: | --- |\n");
        figures.forEach((what, values) -> {
            List<Long> sorted = values.stream().sorted().toList();
            md.append("| ")
                    .append(what)
                    .append(" | ")
                    .append(sorted.get(0))
                    .append(" | ")
                    .append(sorted.get(sorted.size() / 2))
                    .append(" | ")
                    .append(sorted.get(sorted.size() - 1))
                    .append(" | ")
                    .append(values)
                    .append(" |\n");
        });
        md.append("\nRun it again with:\n\n```\n./mvnw -q -pl bench -am compile\n"
                + "java -cp bench/target/classes:$(cat bench/target/classpath.txt) dev.relay.bench.stack.StackStartup 5"
                + "\n```\n");
        return md.toString();
    }

    /** The classpath of this program, also when it runs inside Maven (exec:java) rather than on -cp. */
    private static String classpath() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader cl = StackStartup.class.getClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader ucl) {
                for (URL url : ucl.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        // not a file URL: not something a child JVM can use
                    }
                }
            }
        }
        if (entries.isEmpty()) {
            entries.add(System.getProperty("java.class.path"));
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p :
                    paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
