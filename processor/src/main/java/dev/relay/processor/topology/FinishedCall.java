package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;

/**
 * A call that ended, handed from the thread that completed it to the stream thread. {@code seq} tells it apart from an
 * older call for the same job id. {@code completionJson} is a success's chat.completion already written out (on the
 * completing thread, so the stream thread does not); null otherwise. {@code tier} says whether it was a real-time call
 * or an item of a provider batch.
 */
record FinishedCall(
        String key,
        long seq,
        AttemptOutcome outcome,
        String keyName,
        long startedAt,
        long latencyMs,
        String completionJson,
        Attempt.Tier tier) {

    /** A real-time call that ended. */
    FinishedCall(
            String key,
            long seq,
            AttemptOutcome outcome,
            String keyName,
            long startedAt,
            long latencyMs,
            String completionJson) {
        this(key, seq, outcome, keyName, startedAt, latencyMs, completionJson, Attempt.Tier.REALTIME);
    }
}
