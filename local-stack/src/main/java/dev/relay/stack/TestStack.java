package dev.relay.stack;

import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.internals.Exit;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker and registry of one test JVM, started lazily, stopped when JUnit closes the root store.
 * Implements both of JUnit's close hooks; {@link #close()} is idempotent, so either (or both) may call it.
 */
@SuppressWarnings("deprecation") // CloseableResource: still honoured, and AutoCloseable covers newer JUnit setups
final class TestStack implements ExtensionContext.Store.CloseableResource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestStack.class);

    private EmbeddedKafkaBroker broker;
    private ApicurioRegistry registry;
    private Admin admin;
    private boolean closed;

    synchronized EmbeddedKafkaBroker broker() {
        requireOpen();
        if (broker == null) {
            guardAgainstHalt();
            long t0 = System.nanoTime();
            broker = EmbeddedKafkaBroker.start(null, 0);
            LOG.info("Test broker started in {} ms at {}", (System.nanoTime() - t0) / 1_000_000,
                    broker.bootstrapServers());
        }
        return broker;
    }

    synchronized ApicurioRegistry registry() {
        requireOpen();
        if (registry == null) {
            long t0 = System.nanoTime();
            registry = ApicurioRegistry.start(null, 0);
            LOG.info("Test registry started in {} ms at {}", (System.nanoTime() - t0) / 1_000_000,
                    registry.ccompatUrl());
        }
        return registry;
    }

    synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers()));
        }
        return admin;
    }

    /**
     * A fatal fault in the in-JVM broker calls Kafka's {@code Exit.halt}, which would kill the whole test fork without
     * a report. In tests only, make it throw (and log) instead, so the failing test shows the cause.
     */
    private static void guardAgainstHalt() {
        Exit.setHaltProcedure((code, message) -> {
            LOG.error("Kafka asked to halt the JVM (code {}): {}", code, message);
            throw new IllegalStateException("Kafka asked to halt the JVM (code " + code + "): " + message);
        });
        Exit.setExitProcedure((code, message) -> {
            LOG.error("Kafka asked to exit the JVM (code {}): {}", code, message);
            throw new IllegalStateException("Kafka asked to exit the JVM (code " + code + "): " + message);
        });
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the test stack is already closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (admin != null) {
            admin.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
            Exit.resetHaltProcedure();
            Exit.resetExitProcedure();
        }
    }
}
