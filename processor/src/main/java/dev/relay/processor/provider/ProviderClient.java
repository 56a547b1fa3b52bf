package dev.relay.processor.provider;

import dev.relay.processor.attempt.AttemptOutcome;
import java.util.concurrent.CompletableFuture;

/**
 * One provider's chat endpoint. {@link #call} never blocks: it returns at once and completes the future with an
 * outcome, on success and on every expected failure (status codes, timeouts, cut connections, bad bodies); it
 * completes exceptionally only for bugs. Cancelling the returned future aborts the HTTP exchange.
 */
public interface ProviderClient extends AutoCloseable {

    /** The provider name from the config ({@code providers.<name>}). */
    String name();

    CompletableFuture<AttemptOutcome> call(ChatCall call);

    /**
     * The same call in streaming mode: each OpenAI chunk goes to {@code sink} as it arrives, and the future completes
     * with the whole outcome (a success holds the assembled {@code chat.completion}). The default, for clients without
     * a streaming wire format (the mock), calls and then hands over the whole answer as chunks.
     */
    default CompletableFuture<AttemptOutcome> stream(ChatCall call, ChunkSink sink) {
        return call(call).thenApply(outcome -> {
            if (outcome instanceof AttemptOutcome.Success s) {
                CompletionChunks.of(s.completion()).forEach(sink::chunk);
            }
            return outcome;
        });
    }

    @Override
    default void close() {}
}
