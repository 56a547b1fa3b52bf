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

/**
 * What the hop processors share within one processor instance: provider configs and clients (fault injection already
 * in front), the call policy, per-provider permits and backlog, meters, and two timings: how often the punctuator
 * drains and dispatches, and how long {@code process()} may wait at most when a provider's backlog is full (kept far
 * below the EOS transaction timeout). {@code callStarter} runs each call's start (request mapping, the HTTP send) so
 * that the stream thread only hands it over: virtual threads in the processor, the calling thread in topology tests.
 * {@code telemetry} traces each job's attempts ({@link Telemetry#NONE}: off). {@code streamTaps} opens the chunk
 * writer of a streaming job's call ({@link StreamTaps#NONE}: no chunks). {@code batchApis} are the providers' batch
 * APIs by provider name: items of 24 h batches whose provider has {@code batch.enabled} go through them
 * ({@link ProviderBatcher}).
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

    public static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofMillis(5);
    public static final Duration DEFAULT_BACKPRESSURE_WAIT = Duration.ofMillis(200);

    public FallbackServices {
        batchApis = Map.copyOf(batchApis);
    }

    /**
     * Starts calls on the calling thread: deterministic, for topology tests. No tracing, no chunk writing;
     * {@code batchApis} by provider name (empty: no provider batches).
     */
    public static FallbackServices onCallingThread(
            Map<String, ProviderConfig> providers,
            Map<String, ProviderClient> clients,
            CallPolicy policy,
            ProviderGate gate,
            ProcessorMetrics metrics,
            Duration punctuateInterval,
            Duration backpressureWait,
            EarlyCalls earlyCalls,
            Map<String, BatchApi> batchApis) {
        return new FallbackServices(
                providers,
                clients,
                policy,
                gate,
                metrics,
                punctuateInterval,
                backpressureWait,
                earlyCalls,
                Runnable::run,
                Telemetry.NONE,
                StreamTaps.NONE,
                batchApis);
    }
}
