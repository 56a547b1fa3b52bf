package dev.relay.processor.topology;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.stream.ChunkTap;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Job;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts provider calls for the hop processors: {@link #tryStart} checks the job's deadline and the target's config,
 * takes the permits (concurrency, then circuit breaker), chooses the key, hands the call's start to
 * {@link FallbackServices#callStarter} so the stream thread does not send it, and abandons a call that outlives its
 * deadline; {@link CallEnd} gives the permits back when the call ends. A hop uses it for its own target and, on the fast fallback
 * path, for the next hop's.
 */
final class CallLauncher {

    private static final Logger log = LoggerFactory.getLogger(CallLauncher.class);

    /** How long after a call's deadline a call that has not ended is abandoned. */
    static final long ABANDON_GRACE_MS = 2_000;

    /**
     * The longest a streaming call may last when its job has no deadline: its headers are bounded by the request
     * timeout and its silences by {@code stream_idle_timeout}, but a long answer is not cut for being long.
     */
    static final long STREAM_MAX_MS = 10 * 60_000;

    /** A call on its way: the adapter's future, the key it uses, and when it started. */
    record Launched(CompletableFuture<AttemptOutcome> future, String keyName, long startedAtMs, long startNanos) {}

    /** Why no call was started. */
    enum Refusal {
        /** No concurrency permit is free: the job waits for a call of the provider to end. */
        BUSY,
        /** The job's deadline has passed. */
        DEADLINE_PASSED,
        /** The target's provider is not in the config. */
        NOT_CONFIGURED,
        /** The target's circuit breaker is open. */
        CIRCUIT_OPEN,
        /** The provider has keys, but none is left for this job. */
        NO_KEY_LEFT,
        /** The job is an item of a Relay batch that was cancelled. */
        BATCH_CANCELLED
    }

    /** What {@link #tryStart} did. */
    sealed interface Start {
        record Started(Launched call) implements Start {}

        record Refused(Refusal reason) implements Start {}
    }

    private final FallbackServices services;

    CallLauncher(FallbackServices services) {
        this.services = services;
    }

    /**
     * Starts the call to the target of {@code targetHop} for the entry's job if it can go out now. The permits taken
     * are given back when the call ends, or at once when it does not start.
     */
    Start tryStart(int targetHop, InflightEntry e, long now) {
        Job job = e.job();
        Target target = job.getChain().get(targetHop);
        String provider = target.getProvider();
        if (job.getDeadline() != null && now >= job.getDeadline().toEpochMilli()) {
            return new Start.Refused(Refusal.DEADLINE_PASSED);
        }
        ProviderConfig config = services.providers().get(provider);
        ProviderClient client = services.clients().get(provider);
        if (config == null || client == null) {
            return new Start.Refused(Refusal.NOT_CONFIGURED);
        }
        if (!services.gate().tryAcquire(provider)) {
            return new Start.Refused(Refusal.BUSY);
        }
        if (!services.policy().tryAcquire(provider, target.getModel(), e.attemptsOnTarget() + 1)) {
            services.gate().release(provider);
            return new Start.Refused(Refusal.CIRCUIT_OPEN);
        }
        Launched l = launch(targetHop, e, config, client, now);
        return l == null ? new Start.Refused(Refusal.NO_KEY_LEFT) : new Start.Started(l);
    }

    /**
     * The fast fallback path: the hop before {@code nextHop} has just sent {@code next} to it. When this instance owns
     * the next hop's task and its target can be called now, the call starts now, before the transaction commits; the
     * next hop adopts it when the record arrives ({@link EarlyCalls}). Anything else is left to the next hop.
     */
    void startEarly(String key, Job next, int nextHop, int maxHop, long now) {
        if (nextHop > maxHop || next.getChain().size() <= nextHop) {
            return;
        }
        int generation = next.getReplayGeneration();
        if (!services.earlyCalls().shouldStart(nextHop, key, generation)) {
            return;
        }
        if (tryStart(nextHop, InflightEntry.fresh(next), now) instanceof Start.Started s) {
            String provider = next.getChain().get(nextHop).getProvider();
            long timeoutMs = services.providers()
                    .get(provider)
                    .network()
                    .requestTimeout()
                    .toMillis();
            services.earlyCalls()
                    .put(
                            key,
                            nextHop,
                            generation,
                            new EarlyCalls.Call(s.call(), provider, now + timeoutMs + EarlyCalls.KEEP_UNADOPTED_MS));
        }
    }

    /**
     * Calls the target of {@code targetHop} for the entry's job, with the permits already taken: chooses the key and
     * gives the permits back when the call ends. Null (nothing started, the permits given back at once) when the
     * target has keys but none is left.
     */
    private Launched launch(int targetHop, InflightEntry e, ProviderConfig config, ProviderClient client, long now) {
        Job job = e.job();
        Target target = job.getChain().get(targetHop);
        String provider = target.getProvider();
        String model = target.getModel();
        Optional<KeyConfig> chosen = config.keys().isEmpty()
                ? Optional.empty()
                : services.policy().chooseKey(config, model, new HashSet<>(e.excludedKeys()));
        if (!config.keys().isEmpty() && chosen.isEmpty()) {
            services.gate().release(provider);
            services.policy().release(provider, model);
            return null;
        }
        String keyName = chosen.map(KeyConfig::name).orElse(null);
        Optional<Secret> secret = chosen.flatMap(KeyConfig::value);
        // a streaming job's call writes its chunks through a tap (null for a job without streaming)
        ChunkTap tap = job.getStream() == null
                ? null
                : services.streamTaps().open(job, targetHop, e.attemptNumber(), provider, model);
        long deadlineMs = now + (tap == null ? config.network().requestTimeout().toMillis() : STREAM_MAX_MS);
        if (job.getDeadline() != null) {
            deadlineMs = Math.min(deadlineMs, job.getDeadline().toEpochMilli());
        }
        long startNanos = System.nanoTime();
        int attempt = e.attemptNumber();
        long callDeadlineMs = deadlineMs;
        // the request mapping, key header and HTTP send run off the stream thread, which only hands the call over
        CompletableFuture<AttemptOutcome> future = OffThreadStart.start(services.callStarter(), () -> {
            try (var mdc = Mdc.of(job, targetHop, provider, model)) {
                log.debug("calling {}/{} attempt {} key {}", provider, model, attempt, keyName);
                ChatCall call = new ChatCall(
                        job.getJobId(),
                        model,
                        ChatRequestCodec.toOpenAi(job.getRequest(), model),
                        secret,
                        keyName,
                        Instant.ofEpochMilli(callDeadlineMs));
                return tap == null ? client.call(call) : client.stream(call, tap);
            }
        });
        // No adapter may hold a call (and its permit) past the call's deadline: one that has not ended a little
        // after it is abandoned as a timeout, and cancelling it ends the exchange.
        long budgetMs = Math.max(0, deadlineMs - now) + ABANDON_GRACE_MS;
        future.orTimeout(budgetMs, TimeUnit.MILLISECONDS);
        future.whenComplete(new CallEnd(services, job, targetHop, provider, model, tap, startNanos));
        return new Launched(future, keyName, now, startNanos);
    }
}
