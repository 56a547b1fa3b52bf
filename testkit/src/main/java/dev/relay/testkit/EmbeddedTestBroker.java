package dev.relay.testkit;

import dev.relay.stack.EmbeddedKafkaBroker;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The default test broker: Kafka's own KRaft server in this JVM, on free ports, in a temporary directory. */
final class EmbeddedTestBroker implements TestBroker {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedTestBroker.class);

    private final EmbeddedKafkaBroker broker;

    private EmbeddedTestBroker(EmbeddedKafkaBroker broker) {
        this.broker = broker;
    }

    static EmbeddedTestBroker start() {
        guardAgainstHalt();
        return new EmbeddedTestBroker(EmbeddedKafkaBroker.start(null, 0));
    }

    @Override
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    public void close() {
        broker.close();
        Exit.resetHaltProcedure();
        Exit.resetExitProcedure();
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
}
