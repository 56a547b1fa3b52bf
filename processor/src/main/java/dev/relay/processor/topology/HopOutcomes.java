package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.Verdict;
import dev.relay.processor.topology.CallLauncher.Refusal;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an attempt's outcome, or a refusal to make one, means for the job: the policy's verdict ({@link HopVerdicts})
 * applied, the attempt recorded with its decision, and at the end of the job its result (plus a FailedJob on failure),
 * all written through the {@link HopWriter} in the current transaction. Each method returns the {@link Settlement}:
 * where the job goes next, which the hop processor carries out (store, queues, next hop topic).
 */
final class HopOutcomes {

    private static final Logger log = LoggerFactory.getLogger(HopOutcomes.class);

    private final int hop;
    private final HopVerdicts verdicts;
    private final HopWriter writer;

    HopOutcomes(int hop, HopVerdicts verdicts, HopWriter writer) {
        this.hop = hop;
        this.verdicts = verdicts;
        this.writer = writer;
    }

    /** The call {@code c} for the entry's job ended at {@code now}. */
    Settlement completed(String key, InflightEntry e, FinishedCall c, long now) {
        Target t = e.job().getChain().get(hop);
        try (var mdc = Mdc.of(e.job(), hop, t.getProvider(), t.getModel())) {
            return switch (c.outcome()) {
                case AttemptOutcome.Success s -> {
                    var a = new Attempt(
                            hop,
                            e.attemptNumber(),
                            t.getProvider(),
                            t.getModel(),
                            c.keyName(),
                            c.startedAt(),
                            c.latencyMs(),
                            OutcomeClass.SUCCESS,
                            s.httpStatus(),
                            null,
                            null,
                            null,
                            s.usage(),
                            c.tier());
                    writer.succeeded(key, writer.attempt(e.job(), a, Decision.RETURNED), c.completionJson(), now);
                    yield new Settlement.End();
                }
                case AttemptOutcome.Failure f ->
                    failed(
                            key,
                            e,
                            f,
                            c.keyName(),
                            c.startedAt(),
                            c.latencyMs(),
                            now,
                            verdicts.onFailure(e, f, c.keyName(), now),
                            c.tier());
            };
        }
    }

    /** No call was started for the job ({@code reason} is never BUSY: a busy provider keeps the job queued). */
    Settlement refused(String key, InflightEntry e, Refusal reason, long now) {
        Target t = e.job().getChain().get(hop);
        try (var mdc = Mdc.of(e.job(), hop, t.getProvider(), t.getModel())) {
            return switch (reason) {
                case DEADLINE_PASSED -> deadlinePassed(key, e, now);
                case NOT_CONFIGURED -> {
                    // a MODEL_UNAVAILABLE failure without a call
                    var f = AttemptOutcome.Failure.of(
                            FailureClass.MODEL_UNAVAILABLE,
                            null,
                            "invalid_request_error",
                            "provider_not_configured",
                            "provider '" + t.getProvider() + "' is not configured");
                    yield failed(key, e, f, null, now, 0, now, verdicts.onSkip(e.job()), Attempt.Tier.REALTIME);
                }
                case NO_KEY_LEFT -> {
                    // every key of the provider is dead for this job (AUTH) or rotated away: AUTH without a call
                    var f = AttemptOutcome.Failure.of(
                            FailureClass.AUTH,
                            null,
                            "authentication_error",
                            "no_usable_key",
                            "no usable key left for " + t.getProvider() + "/" + t.getModel());
                    yield failed(
                            key, e, f, null, now, 0, now, verdicts.onFailure(e, f, null, now), Attempt.Tier.REALTIME);
                }
                case CIRCUIT_OPEN -> circuitOpen(key, e, now);
                case BATCH_CANCELLED -> {
                    log.info(
                            "batch {} was cancelled: job ends cancelled without a new attempt",
                            e.job().getBatchId());
                    yield end(key, e.job(), HopVerdicts.BATCH_CANCELLED, OutcomeClass.CANCELLED, cancelled(), now);
                }
                case BUSY -> throw new IllegalArgumentException("a busy provider is not a settlement");
            };
        }
    }

    /** The target's breaker is open: the attempt is recorded as skipped and the chain moves on (one hop, no call). */
    private Settlement circuitOpen(String key, InflightEntry e, long now) {
        Target t = e.job().getChain().get(hop);
        var a = new Attempt(
                hop,
                e.attemptNumber(),
                t.getProvider(),
                t.getModel(),
                null,
                now,
                0,
                OutcomeClass.CIRCUIT_OPEN,
                null,
                "circuit_open",
                null,
                "circuit breaker of " + t.getProvider() + "/" + t.getModel() + " is open",
                null);
        Job job = writer.attempt(e.job(), a, Decision.SKIPPED_CIRCUIT_OPEN);
        Verdict verdict = verdicts.onSkip(job);
        log.info(
                "skipped {}/{}: circuit breaker open; {}",
                t.getProvider(),
                t.getModel(),
                verdict instanceof Verdict.GiveUp ? "chain exhausted" : "next hop");
        if (verdict instanceof Verdict.GiveUp g) {
            ErrorInfo fallback = CallerErrors.error(
                    OutcomeClass.CIRCUIT_OPEN,
                    503,
                    "api_error",
                    "circuit_open",
                    "every provider of the chain is unavailable (circuit open)");
            return end(key, job, g.reason(), OutcomeClass.CIRCUIT_OPEN, CallerErrors.callerError(job, fallback), now);
        }
        // during an outage every job takes this path: the hop processor starts its fallback at once
        return new Settlement.Forward(Records.nextHop(job));
    }

    /** The job's deadline passed before the next attempt: it ends DEADLINE without a call. */
    private Settlement deadlinePassed(String key, InflightEntry e, long now) {
        Target t = e.job().getChain().get(hop);
        log.info("deadline passed before {}/{}: job ends DEADLINE", t.getProvider(), t.getModel());
        ErrorInfo error = CallerErrors.error(
                OutcomeClass.DEADLINE,
                504,
                "timeout_error",
                "deadline_exceeded",
                "the job's deadline passed before it could complete");
        return end(key, e.job(), "DEADLINE", OutcomeClass.DEADLINE, error, now);
    }

    /** Records the failed attempt with the verdict's decision and applies the verdict. */
    private Settlement failed(
            String key,
            InflightEntry e,
            AttemptOutcome.Failure f,
            String keyName,
            long startedAt,
            long latencyMs,
            long now,
            Verdict verdict,
            Attempt.Tier tier) {
        Target t = e.job().getChain().get(hop);
        int number = e.attemptNumber();
        FailureClass cls = f.failureClass();
        var a = new Attempt(
                hop,
                number,
                t.getProvider(),
                t.getModel(),
                keyName,
                startedAt,
                latencyMs,
                cls.toOutcomeClass(),
                f.httpStatus().isPresent() ? f.httpStatus().getAsInt() : null,
                f.errorType(),
                f.errorCode(),
                f.message(),
                null,
                tier);
        String status =
                f.httpStatus().isPresent() ? Integer.toString(f.httpStatus().getAsInt()) : "none";
        return switch (verdict) {
            case Verdict.RetrySame r -> {
                Job job = writer.attempt(e.job(), a, Decision.RETRY_SAME);
                log.info(
                        "attempt {} on {}/{} failed with {} (status {}): retrying the same target in {} ms{}",
                        number,
                        t.getProvider(),
                        t.getModel(),
                        cls,
                        status,
                        r.delay().toMillis(),
                        r.rotateKey() ? " with another key" : "");
                List<String> keep = new ArrayList<>(e.excludedKeys());
                if (keyName != null && r.rotateKey() && !keep.contains(keyName)) {
                    keep.add(keyName);
                }
                yield new Settlement.Requeue(e.retried(job, now + r.delay().toMillis(), keep));
            }
            case Verdict.NextHop n -> {
                Job job = writer.attempt(e.job(), a, Decision.NEXT_HOP);
                log.info(
                        "attempt {} on {}/{} failed with {} (status {}): falling back to hop {}",
                        number,
                        t.getProvider(),
                        t.getModel(),
                        cls,
                        status,
                        hop + 1);
                yield new Settlement.Forward(Records.nextHop(job));
            }
            case Verdict.GiveUp g -> {
                Job job = writer.attempt(e.job(), a, Decision.GIVE_UP);
                log.info(
                        "attempt {} on {}/{} failed with {} (status {}): giving up ({})",
                        number,
                        t.getProvider(),
                        t.getModel(),
                        cls,
                        status,
                        g.reason());
                if (HopVerdicts.BATCH_CANCELLED.equals(g.reason())) {
                    yield end(key, job, g.reason(), OutcomeClass.CANCELLED, cancelled(), now);
                }
                ErrorInfo fallback = CallerErrors.error(
                        cls.toOutcomeClass(), a.httpStatus(), f.errorType(), f.errorCode(), f.message());
                yield end(key, job, g.reason(), cls.toOutcomeClass(), CallerErrors.callerError(job, fallback), now);
            }
        };
    }

    /** The error of an item that ends because its Relay batch was cancelled (OpenAI's code for it). */
    private static ErrorInfo cancelled() {
        return CallerErrors.error(
                OutcomeClass.CANCELLED,
                409,
                "invalid_request_error",
                CallerErrors.BATCH_CANCELLED,
                "This request was not executed because the batch was cancelled.");
    }

    private Settlement end(String key, Job job, String reason, OutcomeClass finalOutcome, ErrorInfo error, long now) {
        writer.failed(key, job, reason, finalOutcome, error, now);
        return new Settlement.End();
    }
}
