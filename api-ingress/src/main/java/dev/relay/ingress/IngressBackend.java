package dev.relay.ingress;

import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;

/**
 * What the HTTP layer needs from Kafka: a publisher and a view fed from the topics. {@link
 * dev.relay.ingress.kafka.KafkaBackend} is the real one; tests of the HTTP layer alone may pass their own.
 */
public interface IngressBackend extends AutoCloseable {

    JobPublisher publisher();

    JobView view();

    /** Named readiness checks (broker, registry, view caught up); all true = ready. */
    Map<String, Boolean> readiness();

    /** Registers the backend's own gauges (results consumer lag, webhook counters). */
    void bindMetrics(MeterRegistry registry);

    @Override
    void close();
}
