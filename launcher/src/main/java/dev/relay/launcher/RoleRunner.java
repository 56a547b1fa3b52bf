package dev.relay.launcher;

import dev.relay.config.ConfigException;
import dev.relay.config.RelayConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one role ({@code processor} or {@code ingress}) from the config until the JVM is asked to stop (SIGTERM,
 * Ctrl-C). The shutdown hook closes the role and waits for it, at most {@link #CLOSE_TIMEOUT}: the JVM exits only once
 * the processor's Kafka Streams has closed (committed, left its group) or the ingress has stopped serving.
 */
final class RoleRunner {

    private static final Logger log = LoggerFactory.getLogger(RoleRunner.class);

    /** The longest the JVM waits for the role to close once asked to stop (Kafka Streams' own close waits 30 s). */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(45);

    private RoleRunner() {}

    /** Starts the role {@code name}; returns 2 (after one line on stderr) when the config cannot be read. */
    static <T extends AutoCloseable> int run(
            String name, Path explicitConfig, Function<RelayConfig, T> start, BiFunction<RelayConfig, T, String> banner)
            throws InterruptedException {
        RelayConfig cfg;
        try {
            cfg = ConfigFiles.load(ConfigFiles.resolve(explicitConfig, false));
        } catch (ConfigException e) {
            System.err.println("relay " + name + ": " + e.getMessage());
            return 2;
        }
        T role = start.apply(cfg);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(name, role, closed), "relay-stop"));
        System.out.println(banner.apply(cfg, role) + ". Ctrl-C stops it.");
        closed.await();
        return 0;
    }

    /** The shutdown hook: closes the role on a thread of its own and waits for it, bounded. The JVM exits after. */
    private static void stop(String name, AutoCloseable role, CountDownLatch closed) {
        log.info("relay {}: stopping", name);
        Thread.ofPlatform().name("relay-close").start(() -> {
            try {
                role.close();
                log.info("relay {} stopped", name);
            } catch (Exception | Error e) {
                log.error("relay {}: closing failed", name, e);
            } finally {
                closed.countDown();
            }
        });
        try {
            if (!closed.await(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("relay {}: not closed after {} s; exiting anyway", name, CLOSE_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
