package dev.relay.launcher;

import dev.relay.config.KafkaSettings;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.stack.ApicurioRegistry;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.KafkaCluster;
import dev.relay.stack.TopicSetup;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: one KRaft broker (or a cluster, {@code --brokers 3}), the Apicurio registry (child JVM), every topic, the processor and the
 * ingress, all data under one directory. {@link #close()} stops them in reverse order, also when called from another
 * thread while start-up is still under way (Ctrl-C during start).
 */
public final class LocalRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalRelay.class);

    /**
     * What to start and where. A port of 0 picks a free one. {@code brokers} above 1 starts a KRaft cluster of that
     * many nodes in this JVM (ports {@code kafkaPort}, {@code kafkaPort + 1}, ...) and gives Relay's topics three
     * copies with {@code min.insync.replicas} 2.
     */
    public record Options(
            Path dataDir,
            int kafkaPort,
            int registryPort,
            Integer ingressPort,
            boolean processor,
            boolean ingress,
            int brokers) {
        public Options(
                Path dataDir,
                int kafkaPort,
                int registryPort,
                Integer ingressPort,
                boolean processor,
                boolean ingress) {
            this(dataDir, kafkaPort, registryPort, ingressPort, processor, ingress, 1);
        }
    }

    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private boolean closed;
    private String bootstrapServers;
    private String registryUrl;
    private Integer ingressPort;
    private List<String> createdTopics = List.of();

    /** Not started yet: {@link #start} it; {@link #close()} may be called at any time, from any thread. */
    public LocalRelay() {}

    public static LocalRelay start(RelayConfig cfg, Options o, PrintStream out) {
        LocalRelay relay = new LocalRelay();
        relay.startAll(cfg, o, out);
        return relay;
    }

    /** Starts every part in order; on failure (or a concurrent close) stops what was started and rethrows. */
    public void startAll(RelayConfig cfg, Options o, PrintStream out) {
        try {
            startParts(cfg, o, out);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void startParts(RelayConfig cfg, Options o, PrintStream out) {
        long t0 = System.nanoTime();
        // the registry is a separate JVM that needs nothing from the broker: start both at once
        CompletableFuture<ApicurioRegistry> registryStart = CompletableFuture.supplyAsync(
                () -> ApicurioRegistry.start(o.dataDir().resolve("registry"), o.registryPort()));
        short replicationFactor = 1;
        try {
            if (o.brokers() > 1) {
                // its own directory: a single node's data (kafka/) cannot become one node of a cluster
                KafkaCluster cluster = track(KafkaCluster.start(
                        o.dataDir().resolve("kafka-cluster-" + o.brokers()),
                        o.brokers(),
                        o.kafkaPort(),
                        KafkaCluster.Mode.IN_JVM));
                bootstrapServers = cluster.bootstrapServers();
                replicationFactor = cluster.replicationFactor();
            } else {
                bootstrapServers = track(EmbeddedKafkaBroker.start(o.dataDir().resolve("kafka"), o.kafkaPort()))
                        .bootstrapServers();
            }
        } catch (RuntimeException e) {
            registryStart.thenAccept(LocalRelay::closeQuietly);
            throw e;
        }
        out.printf(
                "Kafka (KRaft)     %s%s   [%.1f s]%n",
                bootstrapServers,
                o.brokers() > 1 ? " (" + o.brokers() + " nodes, replication factor " + replicationFactor + ")" : "",
                since(t0));
        ApicurioRegistry registry;
        try {
            registry = track(registryStart.join());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        registryUrl = registry.ccompatUrl();
        out.printf("Schema registry   %s   [%.1f s]%n", registryUrl, since(t0));

        RelayConfig local = LocalConfig.pointAt(
                cfg, bootstrapServers, registryUrl, o.dataDir().resolve("streams"), o.ingressPort(), replicationFactor);
        KafkaSettings k = local.kafka();
        Topics topics = new Topics(k.topicPrefix(), k.maxHops());
        createdTopics = TopicSetup.createAll(bootstrapServers, topics, k.partitions(), replicationFactor);
        out.printf(
                "Topics            %s* (%d, %d new)   [%.1f s]%n",
                k.topicPrefix(), topics.all().size(), createdTopics.size(), since(t0));
        if (o.processor()) {
            track(RelayProcessor.start(local));
            out.printf(
                    "Processor         running, metrics http://127.0.0.1:%d/metrics   [%.1f s]%n",
                    local.metricsPort(), since(t0));
        }
        if (o.ingress()) {
            RelayIngress http = track(RelayIngress.start(local));
            ingressPort = http.port();
            out.printf(
                    "Ingress           http://%s:%d   [%.1f s]%n",
                    local.ingress().host(), ingressPort, since(t0));
            if (http.logStore().isPresent()) {
                out.printf(
                        "Dashboard         http://%s:%d/   (logs store: %s)%n",
                        local.ingress().host(), ingressPort, local.logsStore().type());
            }
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        synchronized (running) {
            if (closed) {
                closeQuietly(resource);
                throw new IllegalStateException("stopped during start-up");
            }
            running.push(resource);
            return resource;
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String registryUrl() {
        return registryUrl;
    }

    /** The ingress port, or null when the ingress was not started. */
    public Integer ingressPort() {
        return ingressPort;
    }

    /** The topics this start created (empty when they all existed already). */
    public List<String> createdTopics() {
        return createdTopics;
    }

    @Override
    public void close() {
        synchronized (running) {
            closed = true;
            while (!running.isEmpty()) {
                closeQuietly(running.pop());
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
