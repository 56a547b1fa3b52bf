package dev.relay.testkit;

import dev.relay.schemas.Topics;
import dev.relay.stack.TopicSetup;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 access to one real Kafka broker and one real Apicurio Registry per test JVM, on free ports.
 *
 * <pre>{@code
 * @RegisterExtension static final RelayStackExtension STACK = new RelayStackExtension();
 * ...
 * Topics topics = STACK.freshTopics();          // unique prefix, every topic created
 * props.put("bootstrap.servers", STACK.bootstrapServers());
 * SchemaRegistryClient registry = SchemaRegistryClient.create(STACK.registryUrl());
 * }</pre>
 *
 * Each server starts on first use (a class that only needs Kafka never starts the registry) and stops when the whole
 * test run ends: the servers live in the root context's store, shared by every class in the JVM. Tests share them, so
 * every test must use its own topic prefix and its own group and application ids.
 */
public final class RelayStackExtension implements BeforeAllCallback, BeforeEachCallback {

    /** Partitions of the topics {@link #createTopics(Topics)} makes: enough to exercise partitioning, cheap to create. */
    public static final int TEST_PARTITIONS = 2;

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(RelayStackExtension.class);

    private volatile TestStack stack;

    @Override
    public void beforeAll(ExtensionContext context) {
        attach(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        attach(context);
    }

    private void attach(ExtensionContext context) {
        if (stack == null) {
            stack = context.getRoot()
                    .getStore(NAMESPACE)
                    .getOrComputeIfAbsent(TestStack.class, k -> new TestStack(), TestStack.class);
        }
    }

    private TestStack stack() {
        TestStack s = stack;
        if (s == null) {
            throw new IllegalStateException("RelayStackExtension is not attached yet: register it with "
                    + "@RegisterExtension on a static field and use it from test or lifecycle methods");
        }
        return s;
    }

    /** {@code 127.0.0.1:PORT} of the shared broker (started on first call). */
    public String bootstrapServers() {
        return stack().broker().bootstrapServers();
    }

    /** The shared registry's Confluent API, {@code http://127.0.0.1:PORT/apis/ccompat/v7} (started on first call). */
    public String registryUrl() {
        return stack().registry().ccompatUrl();
    }

    /** A shared admin client on the broker; do not close it. */
    public Admin admin() {
        return stack().admin();
    }

    /** Creates every topic of {@code topics} with {@value #TEST_PARTITIONS} partitions; idempotent. */
    public List<String> createTopics(Topics topics) {
        return createTopics(topics, TEST_PARTITIONS);
    }

    public List<String> createTopics(Topics topics, int partitions) {
        return TopicSetup.createAll(admin(), topics, partitions, (short) 1);
    }

    /** A {@link Topics} with a unique prefix (for example {@code t1a2b3c4d.}), its topics already created. */
    public Topics freshTopics() {
        Topics topics = new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        createTopics(topics);
        return topics;
    }
}
