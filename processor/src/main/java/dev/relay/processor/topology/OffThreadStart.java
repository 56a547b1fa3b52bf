package dev.relay.processor.topology;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Starts an asynchronous call on another thread, so the calling thread (the stream thread) only hands it over. The
 * returned future ends as the started call's future does. Cancelling the returned future, or its failing for any other
 * reason (a timeout), cancels the started call's future, which ends the exchange; if the start had not run yet, it
 * never runs.
 */
final class OffThreadStart {

    private OffThreadStart() {}

    static <T> CompletableFuture<T> start(Executor executor, Supplier<CompletableFuture<T>> start) {
        CompletableFuture<T> call = new CompletableFuture<>();
        Runnable task = () -> {
            if (call.isDone()) {
                return; // cancelled before it started: nothing was sent
            }
            CompletableFuture<T> started;
            try {
                started = start.get();
            } catch (RuntimeException bug) {
                started = CompletableFuture.failedFuture(bug);
            }
            CompletableFuture<T> inner = started;
            call.whenComplete((v, error) -> {
                if (error != null) {
                    inner.cancel(true);
                }
            });
            inner.whenComplete((v, error) -> {
                if (error != null) {
                    call.completeExceptionally(error);
                } else {
                    call.complete(v);
                }
            });
        };
        try {
            executor.execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            call.completeExceptionally(shuttingDown);
        }
        return call;
    }
}
