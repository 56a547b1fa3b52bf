package dev.relay.launcher;

import dev.relay.config.RelayConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./relay up}: the whole stack on this machine until Ctrl-C (see {@link LocalRelay}). */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = "Run Relay locally: Kafka (KRaft), schema registry, processor and ingress in one command.")
final class UpCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(UpCommand.class);

    @Option(
            names = "--config",
            description = "Config file (default: $RELAY_CONFIG, then ./config.json, created from config.example.json).")
    Path config;

    @Option(
            names = "--data-dir",
            defaultValue = ".relay",
            description = "Where broker, registry and processor state live (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--brokers",
            defaultValue = "1",
            description =
                    "Kafka nodes: 1, or 3 for a KRaft cluster whose"
                            + " topics have 3 copies and min.insync.replicas 2, on --kafka-port and the ports after it (default: ${DEFAULT-VALUE}).")
    int brokers;

    @Option(
            names = "--registry-port",
            defaultValue = "8081",
            description = "Schema registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--ingress-port", description = "HTTP port (default: ingress.port from the config, 8080).")
    Integer ingressPort;

    @Option(
            names = "--processor",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Start the processor (default: on; --no-processor to leave it out).")
    boolean processor;

    @Option(
            names = "--ingress",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Start the ingress (default: on; --no-ingress to leave it out).")
    boolean ingress;

    @Override
    public Integer call() throws Exception {
        if (brokers < 1 || brokers > 9) {
            System.err.println("relay up: --brokers must be between 1 and 9, got " + brokers);
            return 2;
        }
        Path configFile = ConfigFiles.resolve(config, true);
        RelayConfig cfg = ConfigFiles.load(configFile);
        LocalRelay relay = new LocalRelay();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            relay.close();
                            stopped.countDown();
                        },
                        "relay-shutdown"));
        try {
            relay.startAll(
                    cfg,
                    new LocalRelay.Options(dataDir, kafkaPort, registryPort, ingressPort, processor, ingress, brokers),
                    System.out);
        } catch (RuntimeException e) {
            log.error("relay up failed", e);
            System.err.println("relay up failed: " + e.getMessage());
            return 1;
        }
        System.out.printf("Relay is up (config %s, data %s). Ctrl-C stops it.%n", configFile, dataDir.toAbsolutePath());
        stopped.await();
        return 0;
    }
}
