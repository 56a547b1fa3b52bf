package dev.relay.testkit;

/**
 * The Kafka broker of one test JVM, wherever it comes from: the embedded KRaft broker (the default) or a
 * Testcontainers Kafka container ({@code -Drelay.it.broker=testcontainers}, where a Docker engine runs).
 */
interface TestBroker extends AutoCloseable {

    /** The system property that chooses the broker: {@code embedded} (default) or {@code testcontainers}. */
    String PROPERTY = "relay.it.broker";

    /** {@code 127.0.0.1:PORT} (or the container's mapped address). */
    String bootstrapServers();

    @Override
    void close();

    /**
     * Starts the broker the property asks for. The Testcontainers broker is looked up by name, so the Testcontainers
     * classes (and the dependency, which only the {@code testcontainers} Maven profile puts on the test classpath) are
     * never loaded when the property is absent.
     */
    static TestBroker start() {
        String choice = System.getProperty(PROPERTY, "embedded").trim();
        return switch (choice) {
            case "", "embedded" -> EmbeddedTestBroker.start();
            case "testcontainers" -> {
                try {
                    yield (TestBroker) Class.forName("dev.relay.testkit.ContainerTestBroker")
                            .getMethod("start")
                            .invoke(null);
                } catch (ReflectiveOperationException | LinkageError e) {
                    Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
                    throw new IllegalStateException(
                            "-D" + PROPERTY + "=testcontainers: cannot start a Kafka container "
                                    + "(needs a running Docker engine, and the tests started with -D" + PROPERTY
                                    + "=testcontainers so that Maven's testcontainers profile adds the dependency): "
                                    + cause,
                            cause);
                }
            }
            default ->
                throw new IllegalArgumentException(
                        "-D" + PROPERTY + "=" + choice + ": expected embedded or testcontainers");
        };
    }
}
