package dev.relay.testkit;

import dev.relay.stack.ApicurioRegistry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker and registry of one test JVM, started lazily, stopped when JUnit closes the root store. The broker is
 * the one {@link TestBroker#start()} chooses (embedded unless {@code -Drelay.it.broker=testcontainers}). The registry
 * is a process of its own: it starts in the background when the broker does (every module's broker tests use it
 * too), so the two start side by side instead of one after the other. Implements both of JUnit's close hooks;
 * {@link #close()} is idempotent, so either (or both) may call it.
 */
@SuppressWarnings("deprecation") // CloseableResource: still honoured, and AutoCloseable covers newer JUnit setups
final class TestStack implements ExtensionContext.Store.CloseableResource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestStack.class);

    private TestBroker broker;
    private CompletableFuture<ApicurioRegistry> registry;
    private Admin admin;
    private boolean closed;

    synchronized TestBroker broker() {
        requireOpen();
        if (broker == null) {
            startRegistry();
            long t0 = System.nanoTime();
            broker = TestBroker.start();
            LOG.info(
                    "Test broker started in {} ms at {}",
                    (System.nanoTime() - t0) / 1_000_000,
                    broker.bootstrapServers());
        }
        return broker;
    }

    synchronized ApicurioRegistry registry() {
        requireOpen();
        startRegistry();
        try {
            return registry.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void startRegistry() {
        if (registry == null) {
            registry = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                ApicurioRegistry started = ApicurioRegistry.start(null, 0);
                LOG.info(
                        "Test registry started in {} ms at {}",
                        (System.nanoTime() - t0) / 1_000_000,
                        started.ccompatUrl());
                return started;
            });
        }
    }

    synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers()));
        }
        return admin;
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
            try {
                registry.join().close();
            } catch (CompletionException e) {
                LOG.warn("the test registry did not start: {}", e.getCause().toString());
            }
        }
        if (broker != null) {
            broker.close();
        }
    }
}
