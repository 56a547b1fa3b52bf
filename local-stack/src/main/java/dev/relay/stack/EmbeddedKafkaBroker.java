package dev.relay.stack;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, combined broker and controller) running inside this JVM on 127.0.0.1. Used by the
 * {@code *IT} tests and by {@code relay up}. The storage is formatted once (when {@code meta.properties} is missing),
 * so topics, offsets and transactions survive a restart on the same directory.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final boolean temporary;
    private final String bootstrapServers;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, boolean temporary, String bootstrapServers) {
        this.server = server;
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a broker and waits until it answers. {@code dataDir} null means a temporary directory that is deleted on
     * {@link #close()}; {@code port} 0 means a free port.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /** As {@link #start(Path, int)}, with broker settings that override the defaults (for example group timeouts). */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides) {
        int brokerPort = FreePorts.orPick(port, "the Kafka broker");
        int controllerPort = FreePorts.pick();
        boolean temporary = dataDir == null;
        Path dir = temporary ? Dirs.createTemp("relay-kafka-") : Dirs.create(dataDir.toAbsolutePath());
        long t0 = System.nanoTime();
        Properties props = config(dir, brokerPort, controllerPort);
        props.putAll(overrides);
        KafkaRaftServer server = null;
        try {
            formatIfNeeded(dir);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            String bootstrap = "127.0.0.1:" + brokerPort;
            awaitReady(bootstrap);
            LOG.info(
                    "Kafka broker ready at {} in {} ms (data {})",
                    bootstrap,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    dir);
            return new EmbeddedKafkaBroker(server, dir, temporary, bootstrap);
        } catch (Exception e) {
            if (server != null) {
                shutdown(server);
            }
            if (temporary) {
                Dirs.deleteQuietly(dir);
            }
            throw new IllegalStateException(
                    "cannot start the embedded Kafka broker on port " + brokerPort + " with data in " + dir + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** The settings one combined node needs, including everything {@code exactly_once_v2} depends on. */
    static Properties config(Path dir, int brokerPort, int controllerPort) {
        return nodeConfig(NODE_ID, dir, brokerPort, controllerPort, NODE_ID + "@127.0.0.1:" + controllerPort, 1);
    }

    /**
     * The settings of node {@code nodeId} (broker and controller in one) of a cluster of {@code clusterSize} such
     * nodes whose controllers are {@code voters} ({@code id@host:port,...}). On one node every internal topic has one
     * copy; on three or more, three copies of which two must acknowledge a write.
     */
    static Properties nodeConfig(
            int nodeId, Path dir, int brokerPort, int controllerPort, String voters, int clusterSize) {
        String copies = Integer.toString(Math.min(3, clusterSize));
        String minInSync = clusterSize >= 3 ? "2" : "1";
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        // a static quorum needs no --standalone at format time and tolerates a new controller port after a restart
        p.put("controller.quorum.voters", voters);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        // internal topics default to replication factor 3; a single node can only host 1, or no group and no
        // transaction coordinator is ever elected (consumer groups hang, exactly_once_v2 fails)
        p.put("offsets.topic.replication.factor", copies);
        p.put("offsets.topic.num.partitions", "8");
        p.put("transaction.state.log.replication.factor", copies);
        p.put("transaction.state.log.min.isr", minInSync);
        p.put("transaction.state.log.num.partitions", "8");
        p.put("share.coordinator.state.topic.replication.factor", copies);
        p.put("share.coordinator.state.topic.min.isr", minInSync);
        p.put("min.insync.replicas", minInSync);
        p.put("default.replication.factor", copies);
        // a transaction left open by a dead producer blocks its partitions' readers and offsets until it is aborted:
        // check for timed-out ones every second, not every 10 s (docs/processor.md, "A dead instance")
        p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        // the first join of each group would otherwise wait 3 s for more members
        p.put("group.initial.rebalance.delay.ms", "0");
        // modest footprint: the cleaner's 128 MB default dedupe buffer is far more than a local node needs
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", clusterSize > 1 ? "2" : "4");
        if (clusterSize > 1) {
            p.put("num.replica.fetchers", "1");
            // a follower that stops fetching (its node died) leaves the in-sync set after 10 s instead of 30 s
            p.put("replica.lag.time.max.ms", "10000");
            // the controller fences a silent node (and moves its partitions' leadership) after 4 s instead of 9 s
            p.put("broker.heartbeat.interval.ms", "1000");
            p.put("broker.session.timeout.ms", "4000");
        }
        return p;
    }

    private static void formatIfNeeded(Path dir) throws Exception {
        formatIfNeeded(dir, NODE_ID, Uuid.randomUuid().toString());
    }

    /** Formats {@code dir} for node {@code nodeId} of cluster {@code clusterId} unless it was formatted before. */
    static void formatIfNeeded(Path dir, int nodeId, String clusterId) throws Exception {
        if (Files.exists(dir.resolve("meta.properties"))) {
            return; // formatted before: formatting again with a new cluster id would make the node refuse to start
        }
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(nodeId)
                .setClusterId(clusterId)
                .setDirectories(List.of(dir.toString()))
                .setMetadataLogDirectory(dir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setControllerListenerName("CONTROLLER")
                .run();
    }

    private static void awaitReady(String bootstrap) throws Exception {
        awaitReady(bootstrap, 1, READY_TIMEOUT);
    }

    /** Waits until the cluster behind {@code bootstrap} lists at least {@code nodes} live brokers. */
    static void awaitReady(String bootstrap, int nodes, Duration timeout) throws Exception {
        Map<String, Object> conf = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(conf)) {
            while (true) {
                try {
                    if (admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                                    .nodes()
                                    .get(10, TimeUnit.SECONDS)
                                    .size()
                            >= nodes) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(nodes + " broker(s) did not answer within " + timeout);
                }
                Thread.sleep(50);
            }
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker; deletes its directory when it was temporary. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        shutdown(server);
        if (temporary) {
            Dirs.deleteQuietly(dataDir);
        }
        LOG.info(
                "Kafka broker at {} stopped in {} ms",
                bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    static void shutdown(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("error while stopping the embedded Kafka broker: {}", e.toString());
        }
    }
}
