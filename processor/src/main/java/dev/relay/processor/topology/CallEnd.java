package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.stream.ChunkTap;
import dev.relay.schemas.Job;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of one provider call, on whichever thread completes it. For the shared services ({@link #accept}): the
 * concurrency permit goes back, a streaming call's tap is finished, the circuit breaker learns the outcome (a cancelled
 * call only gives its breaker permit back), and a bug in an adapter or a mapper is logged with its stack and counted.
 * For the hop ({@link #outcomeOf}): the call's outcome, or the exception it ended with, classified.
 */
final class CallEnd implements BiConsumer<AttemptOutcome, Throwable> {

    private static final Logger log = LoggerFactory.getLogger(CallEnd.class);

    private final FallbackServices services;
    private final Job job;
    private final int targetHop;
    private final String provider;
    private final String model;
    private final ChunkTap tap;
    private final long startNanos;

    /** The end of the call to {@code provider}/{@code model} for {@code job}; {@code tap} is null without streaming. */
    CallEnd(
            FallbackServices services,
            Job job,
            int targetHop,
            String provider,
            String model,
            ChunkTap tap,
            long startNanos) {
        this.services = services;
        this.job = job;
        this.targetHop = targetHop;
        this.provider = provider;
        this.model = model;
        this.tap = tap;
        this.startNanos = startNanos;
    }

    @Override
    public void accept(AttemptOutcome outcome, Throwable error) {
        long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        services.gate().release(provider);
        AttemptOutcome result = outcome != null ? outcome : failureOf(error);
        if (tap != null) {
            tap.finish(result); // END, or ABORT when the caller saw content of a failed call
        }
        if (result instanceof AttemptOutcome.Failure f && f.failureClass() == FailureClass.INTERNAL) {
            reportBug(error);
        }
        if (error instanceof CancellationException) {
            services.policy().release(provider, model);
        } else if (result instanceof AttemptOutcome.Failure f) {
            services.policy().onFailure(provider, model, f.failureClass(), Duration.ofMillis(latencyMs));
        } else {
            services.policy().onSuccess(provider, model, Duration.ofMillis(latencyMs));
        }
    }

    /** A bug in an adapter or a mapper ended the call: logged with its stack and counted, once per call. */
    private void reportBug(Throwable error) {
        services.metrics().internalError(provider, model);
        try (var mdc = Mdc.of(job, targetHop, provider, model)) {
            log.error(
                    "bug in the adapter or mapper of {}/{}: job {}'s attempt fails as INTERNAL (not retried; no "
                            + "fallback unless fallback_policy.classes.INTERNAL says so)",
                    provider,
                    model,
                    job.getJobId(),
                    error == null ? new IllegalStateException("the call completed with no outcome") : error);
        }
    }

    /**
     * The outcome of a call that ended with {@code outcome} or {@code error}: a call abandoned at its deadline is a
     * TIMEOUT, any other exception is classified.
     */
    static AttemptOutcome outcomeOf(
            AttemptOutcome outcome, Throwable error, String provider, String key, long latencyMs) {
        if (outcome != null) {
            return outcome;
        }
        if (error instanceof TimeoutException) {
            log.warn(
                    "provider {} did not end the call for job {} within its deadline; abandoned after {} ms",
                    provider,
                    key,
                    latencyMs);
            return AttemptOutcome.Failure.of(
                    Classifier.classify(error),
                    null,
                    null,
                    null,
                    "no outcome from " + provider + " within the call's deadline; abandoned after " + latencyMs
                            + " ms");
        }
        return failureOf(error);
    }

    /** A call that ended with an exception instead of an outcome, classified. */
    static AttemptOutcome failureOf(Throwable error) {
        return AttemptOutcome.Failure.of(
                Classifier.classify(error),
                null,
                null,
                null,
                error == null ? "no outcome" : error.getClass().getSimpleName() + ": " + error.getMessage());
    }
}
