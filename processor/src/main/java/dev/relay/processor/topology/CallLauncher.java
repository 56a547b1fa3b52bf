package dev.relay.processor.topology;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Job;
import dev.relay.schemas.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts provider calls for the hop processors, under the permits (concurrency and circuit breaker) the caller has
 * already taken: chooses the key, hands the call's start to {@link FallbackServices#callStarter} so the stream thread
 * does not send it, abandons a call that outlives its deadline, and gives the permits back when the call ends. A hop
 * uses it for its own target and, on the fast fallback path, for the next hop's.
 */
final class CallLauncher {

    private static final Logger log = LoggerFactory.getLogger(CallLauncher.class);

    /** How long after a call's deadline a call that has not ended is abandoned. */
    static final long ABANDON_GRACE_MS = 2_000;

    /** A call on its way: the adapter's future, the key it uses, and when it started. */
    record Launched(CompletableFuture<AttemptOutcome> future, String keyName, long startedAtMs, long startNanos) {}

    private final FallbackServices services;

    CallLauncher(FallbackServices services) {
        this.services = services;
    }

    /**
     * Calls the target of {@code targetHop} for the entry's job, with the permits already taken: chooses the key and
     * gives the permits back when the call ends. Null (nothing started, the permits given back at once) when the
     * target has keys but none is left.
     */
    Launched launch(int targetHop, InflightEntry e, ProviderConfig config, ProviderClient client, long now) {
        Job job = e.job();
        Target target = job.getChain().get(targetHop);
        String provider = target.getProvider();
        String model = target.getModel();
        Optional<KeyConfig> chosen = config.keys().isEmpty() ? Optional.empty()
                : services.policy().chooseKey(config, model, new HashSet<>(e.excludedKeys()));
        if (!config.keys().isEmpty() && chosen.isEmpty()) {
            services.gate().release(provider);
            services.policy().release(provider, model);
            return null;
        }
        String keyName = chosen.map(KeyConfig::name).orElse(null);
        Optional<Secret> secret = chosen.flatMap(KeyConfig::value);
        long deadlineMs = now + config.network().requestTimeout().toMillis();
        if (job.getDeadline() != null) {
            deadlineMs = Math.min(deadlineMs, job.getDeadline().toEpochMilli());
        }
        long startNanos = System.nanoTime();
        int attempt = e.attemptsOnTarget() + 1;
        long callDeadlineMs = deadlineMs;
        // the request mapping, key header and HTTP send run off the stream thread, which only hands the call over
        CompletableFuture<AttemptOutcome> future = OffThreadStart.start(services.callStarter(), () -> {
            try (var mdc = Mdc.of(job, targetHop, provider, model)) {
                log.debug("calling {}/{} attempt {} key {}", provider, model, attempt, keyName);
                return client.call(new ChatCall(job.getJobId(), model, ChatRequestCodec.toOpenAi(job.getRequest(),
                        model), secret, keyName, Instant.ofEpochMilli(callDeadlineMs)));
            }
        });
        // No adapter may hold a call (and its permit) past the call's deadline: one that has not ended a little
        // after it is abandoned as a timeout, and cancelling it ends the exchange.
        long budgetMs = Math.max(0, deadlineMs - now) + ABANDON_GRACE_MS;
        future.orTimeout(budgetMs, TimeUnit.MILLISECONDS);
        future.whenComplete((outcome, error) -> {
            long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            services.gate().release(provider);
            AttemptOutcome result = outcome != null ? outcome : failureOf(error);
            if (error instanceof CancellationException) {
                services.policy().release(provider, model);
            } else if (result instanceof AttemptOutcome.Failure f) {
                services.policy().onFailure(provider, model, f.failureClass(), Duration.ofMillis(latencyMs));
            } else {
                services.policy().onSuccess(provider, model, Duration.ofMillis(latencyMs));
            }
        });
        return new Launched(future, keyName, now, startNanos);
    }

    /** A call that ended with an exception instead of an outcome, classified. */
    static AttemptOutcome failureOf(Throwable error) {
        return AttemptOutcome.Failure.of(Classifier.classify(error), null, null, null,
                error == null ? "no outcome" : error.getClass().getSimpleName() + ": " + error.getMessage());
    }
}
