package dev.relay.stack;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KRaft cluster of {@code size} combined nodes (broker and controller in each) on 127.0.0.1, with a static quorum
 * of every node. Three nodes give Relay's topics three copies with {@code min.insync.replicas} 2, so the loss of one
 * node loses no acknowledged write and stops nothing.
 *
 * <p>Nodes run inside this JVM ({@link Mode#IN_JVM}, used by {@code relay up --brokers 3}) or each in a JVM of its own
 * ({@link Mode#FORKED}, used by tests), where {@link #kill(int)} is a real {@code kill -9}: no controlled shutdown,
 * no flushed log, no leadership handed over. A node that was stopped can be started again on its data with
 * {@link #restart(int)}; its ports stay the same.
 */
public final class KafkaCluster implements AutoCloseable {

    public enum Mode {
        IN_JVM,
        FORKED
    }

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final String CLUSTER_ID_FILE = "cluster-id";

    private final Mode mode;
    private final Path dataDir;
    private final boolean temporary;
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final String clusterId;
    private final Node[] nodes;
    private boolean closed;

    private KafkaCluster(
            Mode mode, Path dataDir, boolean temporary, int[] brokerPorts, int[] controllerPorts, String clusterId) {
        this.mode = mode;
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.brokerPorts = brokerPorts;
        this.controllerPorts = controllerPorts;
        this.clusterId = clusterId;
        this.nodes = new Node[brokerPorts.length];
    }

    /**
     * Starts {@code size} nodes and waits until every one is a live broker. {@code dataDir} null means a temporary
     * directory deleted on {@link #close()}; otherwise each node keeps its data in {@code dataDir/node-N} and a restart
     * on the same directory finds its topics again. {@code firstPort} 0 means free ports; otherwise node N listens on
     * {@code firstPort + N - 1}.
     */
    public static KafkaCluster start(Path dataDir, int size, int firstPort, Mode mode) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        boolean temporary = dataDir == null;
        Path dir = temporary ? Dirs.createTemp("relay-kafka-cluster-") : Dirs.create(dataDir.toAbsolutePath());
        int[] brokerPorts = new int[size];
        int[] controllerPorts = new int[size];
        for (int i = 0; i < size; i++) {
            brokerPorts[i] =
                    firstPort == 0 ? FreePorts.pick() : FreePorts.orPick(firstPort + i, "Kafka node " + (i + 1));
            controllerPorts[i] = FreePorts.pick();
        }
        KafkaCluster cluster = new KafkaCluster(mode, dir, temporary, brokerPorts, controllerPorts, clusterId(dir));
        long t0 = System.nanoTime();
        try {
            // a quorum of three elects no controller until two are up: start them together
            List<CompletableFuture<Void>> starts = IntStream.range(0, size)
                    .mapToObj(i -> CompletableFuture.runAsync(() -> cluster.startNode(i)))
                    .toList();
            starts.forEach(CompletableFuture::join);
            EmbeddedKafkaBroker.awaitReady(cluster.bootstrapServers(), size, READY_TIMEOUT);
        } catch (RuntimeException | Error e) {
            cluster.close();
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(
                    "cannot start a Kafka cluster of " + size + " in " + dir + ": " + cause.getMessage(), cause);
        } catch (Exception e) {
            cluster.close();
            throw new IllegalStateException(
                    "cannot start a Kafka cluster of " + size + " in " + dir + ": " + e.getMessage(), e);
        }
        LOG.info(
                "Kafka cluster of {} ({}) ready at {} in {} ms (data {})",
                size,
                mode,
                cluster.bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                dir);
        return cluster;
    }

    /** The cluster id kept beside the nodes' directories, so every node of a restarted cluster agrees on it. */
    private static String clusterId(Path dir) {
        Path file = dir.resolve(CLUSTER_ID_FILE);
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).strip();
            }
            String id = Uuid.randomUuid().toString();
            Files.writeString(file, id, StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the cluster id in " + file, e);
        }
    }

    /** {@code 127.0.0.1:P1,127.0.0.1:P2,...}: every node, so clients find the cluster while any one is down. */
    public String bootstrapServers() {
        return IntStream.of(brokerPorts).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.length;
    }

    /** The replication factor Relay's topics get on this cluster: 3 from three nodes on, else one per node. */
    public short replicationFactor() {
        return (short) Math.min(3, nodes.length);
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The Kafka node id of the node at {@code index} (0-based); ids start at 1. */
    public int nodeId(int index) {
        return index + 1;
    }

    /**
     * Stops node {@code index} abruptly. Forked: {@code kill -9}. In this JVM there is no such thing, so the node is
     * shut down (a controlled shutdown: leadership moves before it goes).
     */
    public synchronized void kill(int index) {
        Node node = nodes[index];
        if (node != null) {
            nodes[index] = null;
            node.stop(true);
            LOG.info("Kafka node {} stopped ({})", nodeId(index), mode == Mode.FORKED ? "kill -9" : "shutdown");
        }
    }

    /**
     * Starts node {@code index} again on its data and ports, and waits until it has started (it is a live,
     * unfenced broker again) and the cluster lists every node.
     */
    public void restart(int index) {
        Node node;
        synchronized (this) {
            if (nodes[index] != null) {
                throw new IllegalStateException("node " + nodeId(index) + " is running");
            }
            startNode(index);
            node = nodes[index];
        }
        try {
            node.awaitStarted(READY_TIMEOUT);
            EmbeddedKafkaBroker.awaitReady(bootstrapServers(), nodes.length, READY_TIMEOUT);
        } catch (Exception e) {
            throw new IllegalStateException("node " + nodeId(index) + " did not come back: " + e.getMessage(), e);
        }
    }

    private void startNode(int index) {
        int id = nodeId(index);
        Path dir = dataDir.resolve("node-" + id);
        String voters = IntStream.range(0, nodes.length)
                .mapToObj(i -> nodeId(i) + "@127.0.0.1:" + controllerPorts[i])
                .collect(Collectors.joining(","));
        Properties props = EmbeddedKafkaBroker.nodeConfig(
                id, dir, brokerPorts[index], controllerPorts[index], voters, nodes.length);
        try {
            Files.createDirectories(dir);
            Node node = mode == Mode.IN_JVM
                    ? InJvmNode.start(dir, id, clusterId, props)
                    : ForkedNode.start(dataDir, dir, id, clusterId, props);
            synchronized (this) {
                nodes[index] = node;
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start Kafka node " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops every node, then deletes the data when it was temporary. Idempotent. Nodes with data to keep shut down
     * controlled; forked nodes whose data is deleted right after are killed: a controlled shutdown of every node at
     * once loses the quorum halfway and waits out its timeouts (over 30 s) to save data nobody reads again.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean crash = temporary && mode == Mode.FORKED;
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            Node node = nodes[i];
            nodes[i] = null;
            if (node != null) {
                stops.add(CompletableFuture.runAsync(() -> node.stop(crash)));
            }
        }
        stops.forEach(f -> {
            try {
                f.join();
            } catch (CompletionException e) {
                LOG.warn("error while stopping a Kafka node: {}", e.getCause().toString());
            }
        });
        if (temporary) {
            Dirs.deleteQuietly(dataDir);
        }
    }

    private interface Node {
        void stop(boolean crash);

        /** Returns once the node's broker has started (unfenced); in this JVM, start() already waited for it. */
        default void awaitStarted(Duration timeout) throws Exception {}
    }

    private record InJvmNode(KafkaRaftServer server) implements Node {
        static InJvmNode start(Path dir, int id, String clusterId, Properties props) throws Exception {
            EmbeddedKafkaBroker.formatIfNeeded(dir, id, clusterId);
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            return new InJvmNode(server);
        }

        @Override
        public void stop(boolean crash) {
            EmbeddedKafkaBroker.shutdown(server);
        }
    }

    private record ForkedNode(Process process, Path log, long logOffset, int id) implements Node {
        static ForkedNode start(Path clusterDir, Path dir, int id, String clusterId, Properties props)
                throws IOException {
            Path config = clusterDir.resolve("node-" + id + ".properties");
            try (OutputStream out = Files.newOutputStream(config)) {
                props.store(out, "Kafka node " + id + " of a Relay test cluster");
            }
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = clusterDir.resolve("node-" + id + ".log");
            long offset = Files.exists(log) ? Files.size(log) : 0;
            Process p = new ProcessBuilder(
                            java,
                            "-Xmx256m",
                            "-XX:+UseSerialGC",
                            "-XX:TieredStopAtLevel=1",
                            "-cp",
                            System.getProperty("java.class.path"),
                            KafkaNodeMain.class.getName(),
                            config.toString(),
                            clusterId,
                            Long.toString(ProcessHandle.current().pid()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new ForkedNode(p, log, offset, id);
        }

        @Override
        public void awaitStarted(Duration timeout) throws Exception {
            String needle = KafkaNodeMain.startedLine(id);
            long until = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < until) {
                byte[] all = Files.readAllBytes(log);
                String since = new String(
                        all,
                        (int) Math.min(logOffset, all.length),
                        all.length - (int) Math.min(logOffset, all.length),
                        StandardCharsets.UTF_8);
                if (since.contains(needle)) {
                    return;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException(
                            "Kafka node " + id + " exited (" + process.exitValue() + "); see " + log);
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("Kafka node " + id + " did not start within " + timeout + "; see " + log);
        }

        @Override
        public void stop(boolean crash) {
            try {
                if (crash) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    return;
                }
                process.destroy(); // SIGTERM: the node's shutdown hook shuts the server down
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
