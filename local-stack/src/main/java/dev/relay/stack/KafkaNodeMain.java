package dev.relay.stack;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

/**
 * One node of a forked {@link KafkaCluster}: {@code KafkaNodeMain <node.properties> <cluster id> <parent pid>}.
 * Formats its directory on first start, runs until SIGTERM (controlled shutdown) or until its parent process is gone
 * (so a killed test JVM leaves no brokers behind).
 */
public final class KafkaNodeMain {

    private KafkaNodeMain() {}

    static String startedLine(int nodeId) {
        return "Kafka node " + nodeId + " started";
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            props.load(in);
        }
        int nodeId = Integer.parseInt(props.getProperty("node.id"));
        EmbeddedKafkaBroker.formatIfNeeded(Path.of(props.getProperty("log.dirs")), nodeId, args[1]);
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> EmbeddedKafkaBroker.shutdown(server), "node-shutdown"));
        server.startup();
        System.out.println(startedLine(nodeId)); // startup() returns once the broker is unfenced
        long parent = Long.parseLong(args[2]);
        Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
            while (ProcessHandle.of(parent).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.out.println("parent process " + parent + " is gone: stopping");
            System.exit(0);
        });
        server.awaitShutdown();
    }
}
