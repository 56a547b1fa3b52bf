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
        int brokerPort = FreePorts.orPick(port, "the Kafka broker");
        int controllerPort = FreePorts.pick();
        boolean temporary = dataDir == null;
        Path dir = temporary ? Dirs.createTemp("relay-kafka-") : Dirs.create(dataDir.toAbsolutePath());
        long t0 = System.nanoTime();
        Properties props = config(dir, brokerPort, controllerPort);
        KafkaRaftServer server = null;
        try {
            formatIfNeeded(dir);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            String bootstrap = "127.0.0.1:" + brokerPort;
            awaitReady(bootstrap);
            LOG.info("Kafka broker ready at {} in {} ms (data {})", bootstrap,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), dir);
            return new EmbeddedKafkaBroker(server, dir, temporary, bootstrap);
        } catch (Exception e) {
            if (server != null) {
                shutdown(server);
            }
            if (temporary) {
                Dirs.deleteQuietly(dir);
            }
            throw new IllegalStateException("cannot start the embedded Kafka broker on port " + brokerPort
                    + " with data in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The settings one combined node needs, including everything {@code exactly_once_v2} depends on. */
    static Properties config(Path dir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        // a static quorum needs no --standalone at format time and tolerates a new controller port after a restart
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        // internal topics default to replication factor 3; a single node can only host 1, or no group and no
        // transaction coordinator is ever elected (consumer groups hang, exactly_once_v2 fails)
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "8");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "8");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("min.insync.replicas", "1");
        p.put("default.replication.factor", "1");
        // the first join of each group would otherwise wait 3 s for more members
        p.put("group.initial.rebalance.delay.ms", "0");
        // modest footprint: the cleaner's 128 MB default dedupe buffer is far more than a local node needs
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        return p;
    }

    private static void formatIfNeeded(Path dir) throws Exception {
        if (Files.exists(dir.resolve("meta.properties"))) {
            return; // formatted before: formatting again with a new cluster id would make the node refuse to start
        }
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(dir.toString()))
                .setMetadataLogDirectory(dir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setControllerListenerName("CONTROLLER")
                .run();
    }

    private static void awaitReady(String bootstrap) throws Exception {
        Map<String, Object> conf = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(conf)) {
            while (true) {
                try {
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                            .nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("broker did not answer within " + READY_TIMEOUT);
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
        LOG.info("Kafka broker at {} stopped in {} ms", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static void shutdown(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("error while stopping the embedded Kafka broker: {}", e.toString());
        }
    }
}
