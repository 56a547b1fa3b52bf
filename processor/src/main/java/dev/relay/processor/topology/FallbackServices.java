package dev.relay.processor.topology;

import dev.relay.config.ProviderConfig;
import dev.relay.processor.metrics.ProcessorMetrics;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.routing.CallPolicy;
import dev.relay.processor.stream.StreamTaps;
import dev.relay.telemetry.Telemetry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * What the hop processors share within one processor instance: provider configs and clients (fault injection already
 * in front), the call policy, per-provider permits and backlog, meters, and two timings: how often the punctuator
 * drains and dispatches, and how long {@code process()} may wait at most when a provider's backlog is full (kept far
 * below the EOS transaction timeout). {@code callStarter} runs each call's start (request mapping, the HTTP send) so
 * that the stream thread only hands it over: virtual threads in the processor, the calling thread in topology tests.
 * {@code telemetry} traces each job's attempts ({@link Telemetry#NONE}: off). {@code streamTaps} opens the chunk
 * writer of a streaming job's call ({@link StreamTaps#NONE}: no chunks).
 */
public record FallbackServices(
        Map<String, ProviderConfig> providers,
        Map<String, ProviderClient> clients,
        CallPolicy policy,
        ProviderGate gate,
        ProcessorMetrics metrics,
        Duration punctuateInterval,
        Duration backpressureWait,
        EarlyCalls earlyCalls,
        Executor callStarter,
        Telemetry telemetry,
        StreamTaps streamTaps,
        Map<String, BatchApi> batchApis) {

    /** Without provider batch APIs. */
    public FallbackServices(
            Map<String, ProviderConfig> providers,
            Map<String, ProviderClient> clients,
            CallPolicy policy,
            ProviderGate gate,
            ProcessorMetrics metrics,
            Duration punctuateInterval,
            Duration backpressureWait,
            EarlyCalls earlyCalls,
            Executor callStarter,
            Telemetry telemetry,
            StreamTaps streamTaps) {
        this(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                callStarter,
                telemetry,
                streamTaps,
                Map.of());
    }

    /**
     * The same services with the providers' batch APIs (by provider name): items of 24 h batches whose provider has
     * {@code batch.enabled} go through them ({@link ProviderBatcher}).
     */
    public FallbackServices withBatchApis(Map<String, BatchApi> apis) {
        return new FallbackServices(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                callStarter,
                telemetry,
                streamTaps,
                Map.copyOf(apis));
    }

    /** Without chunk writing. */
    public FallbackServices(
            Map<String, ProviderConfig> providers,
            Map<String, ProviderClient> clients,
            CallPolicy policy,
            ProviderGate gate,
            ProcessorMetrics metrics,
            Duration punctuateInterval,
            Duration backpressureWait,
            EarlyCalls earlyCalls,
            Executor callStarter,
            Telemetry telemetry) {
        this(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                callStarter,
                telemetry,
                StreamTaps.NONE);
    }

    /** The same services writing streaming calls' chunks through {@code taps}. */
    public FallbackServices withStreamTaps(StreamTaps taps) {
        return new FallbackServices(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                callStarter,
                telemetry,
                taps,
                batchApis);
    }

    /** Starts calls on the calling thread: deterministic, for topology tests. No tracing. */
    public FallbackServices(
            Map<String, ProviderConfig> providers,
            Map<String, ProviderClient> clients,
            CallPolicy policy,
            ProviderGate gate,
            ProcessorMetrics metrics,
            Duration punctuateInterval,
            Duration backpressureWait,
            EarlyCalls earlyCalls) {
        this(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                Runnable::run,
                Telemetry.NONE);
    }

    /** The same services, with each job's attempts traced through {@code t}. */
    public FallbackServices withTelemetry(Telemetry t) {
        return new FallbackServices(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                callStarter,
                t,
                streamTaps,
                batchApis);
    }

    public static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofMillis(5);
    public static final Duration DEFAULT_BACKPRESSURE_WAIT = Duration.ofMillis(200);

    public static FallbackServices of(
            Map<String, ProviderConfig> providers,
            Map<String, ProviderClient> clients,
            CallPolicy policy,
            ProcessorMetrics metrics,
            EarlyCalls earlyCalls) {
        return new FallbackServices(
                providers,
                clients,
                policy,
                new ProviderGate(providers),
                metrics,
                DEFAULT_PUNCTUATE_INTERVAL,
                DEFAULT_BACKPRESSURE_WAIT,
                earlyCalls,
                Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("relay-call-", 0).factory()),
                Telemetry.NONE);
    }
}
