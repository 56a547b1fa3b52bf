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

    @Override
    default void close() {}
}
