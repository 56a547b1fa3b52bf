package dev.relay.ingress;

import dev.relay.ingress.batch.Batches;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.FileContents;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.kafka.StreamSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;

/**
 * What the HTTP layer needs from Kafka: a publisher and a view fed from the topics. {@link
 * KafkaBackend} is the real one; tests of the HTTP layer alone may pass their own.
 */
public interface IngressBackend extends AutoCloseable {

    JobPublisher publisher();

    JobView view();

    /** OpenAI file and batch objects, shared by every instance. */
    Catalog catalog();

    /** The bytes of uploaded files. */
    FileContents files();

    /** Starts telling webhooks when batches end (a backend without webhook delivery ignores it). */
    default void watchBatches(Batches batches) {}

    /** Where streaming jobs' chunks are read ({@link StreamSource#NONE} for a backend without streaming). */
    default StreamSource streams() {
        return StreamSource.NONE;
    }

    /** Named readiness checks (broker, registry, view caught up); all true = ready. */
    Map<String, Boolean> readiness();

    /** Registers the backend's own gauges (results consumer lag, webhook counters). */
    void bindMetrics(MeterRegistry registry);

    @Override
    void close();
}
