package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.schemas.OutcomeClass;

/** One finished (or skipped) attempt, before {@link Records} makes it a summary and an audit record. */
record Attempt(
        int hop,
        int number,
        String provider,
        String model,
        String keyName,
        long startedAt,
        long latencyMs,
        OutcomeClass outcome,
        Integer httpStatus,
        String errorType,
        String errorCode,
        String errorMessage,
        AttemptOutcome.Usage usage,
        Tier tier) {

    /** A real-time attempt. */
    Attempt(
            int hop,
            int number,
            String provider,
            String model,
            String keyName,
            long startedAt,
            long latencyMs,
            OutcomeClass outcome,
            Integer httpStatus,
            String errorType,
            String errorCode,
            String errorMessage,
            AttemptOutcome.Usage usage) {
        this(
                hop,
                number,
                provider,
                model,
                keyName,
                startedAt,
                latencyMs,
                outcome,
                httpStatus,
                errorType,
                errorCode,
                errorMessage,
                usage,
                Tier.REALTIME);
    }

    /**
     * How an attempt was served: {@code realtime} (one call) or {@code batch} (an item of a provider batch, whose id
     * the provider gave; null when the batch was never created).
     */
    record Tier(String serviceTier, String providerBatchId) {
        static final Tier REALTIME = new Tier("realtime", null);

        static Tier batch(String providerBatchId) {
            return new Tier("batch", providerBatchId);
        }
    }
}
