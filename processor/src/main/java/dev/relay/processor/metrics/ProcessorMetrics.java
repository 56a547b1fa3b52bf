package dev.relay.processor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The processor's own meters (Prometheus names in brackets): attempts by provider, model, class and decision
 * ({@code relay_attempts_total}), terminal results by status ({@code relay_results_total}), calls in flight and
 * store backlog per provider ({@code relay_provider_inflight_calls}, {@code relay_provider_backlog_jobs}), records
 * sent to the dead-letter topic ({@code relay_deadletter_total}), calls ended by a bug in an adapter or mapper
 * ({@code relay_internal_errors_total}).
 */
public final class ProcessorMetrics {

    private final MeterRegistry registry;

    public ProcessorMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters that go nowhere, for tests that do not look at them. */
    public static ProcessorMetrics noop() {
        return new ProcessorMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void attempt(String provider, String model, String outcomeClass, String decision) {
        Counter.builder("relay.attempts")
                .description("Provider attempts by outcome class and decision")
                .tags("provider", provider, "model", model, "class", outcomeClass, "decision", decision)
                .register(registry)
                .increment();
    }

    /** A call ended by a bug in Relay's adapter or mapper (class INTERNAL), not by the provider. */
    public void internalError(String provider, String model) {
        Counter.builder("relay.internal.errors")
                .description("Calls ended by an unexpected exception in an adapter or mapper (a bug, class INTERNAL)")
                .tags("provider", provider, "model", model)
                .register(registry)
                .increment();
    }

    public void result(String status) {
        Counter.builder("relay.results")
                .description("Terminal job results")
                .tag("status", status)
                .register(registry)
                .increment();
    }

    /**
     * A provider batch event: {@code submitted}, {@code ended}, {@code submit_failed}, {@code poll_failed},
     * {@code recovered} (a submit cut off by a crash, found at the provider after the restart).
     */
    public void providerBatch(String provider, String event) {
        Counter.builder("relay.provider_batches")
                .description("Provider batch events (submitted, ended, submit_failed, poll_failed, recovered, ...)")
                .tags("provider", provider, "event", event)
                .register(registry)
                .increment();
    }

    /** A provider batch's result named a custom_id that is not one of its items: logged and counted, never used. */
    public void providerBatchUnknownItem(String provider) {
        Counter.builder("relay.provider_batch.unknown_items")
                .description("Provider batch results whose custom_id names no item of the batch (ignored)")
                .tag("provider", provider)
                .register(registry)
                .increment();
    }

    public void deadLetter(String topic) {
        Counter.builder("relay.deadletter")
                .description("Records sent to the dead-letter topic")
                .tag("topic", topic)
                .register(registry)
                .increment();
    }

    public <T> void providerGauges(
            String provider, T source, ToDoubleFunction<T> inFlight, ToDoubleFunction<T> backlog) {
        Gauge.builder("relay.provider.inflight.calls", source, inFlight)
                .description("Provider calls running now")
                .tag("provider", provider)
                .register(registry);
        Gauge.builder("relay.provider.backlog.jobs", source, backlog)
                .description("Jobs in the in-flight stores (queued, waiting for a retry, or calling) per provider")
                .tag("provider", provider)
                .register(registry);
    }
}
