package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OffThreadStartTest {

    /** Runs nothing until the test says so, to put a cancellation before the start. */
    private static final class HeldExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            for (Runnable r; (r = tasks.poll()) != null; ) {
                r.run();
            }
        }
    }

    @Test
    void shouldStartOnTheExecutorsThreadAndEndWithTheStartedCall() throws Exception {
        AtomicReference<Thread> startedOn = new AtomicReference<>();
        try (var virtualThreads = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<String> call = OffThreadStart.start(virtualThreads, () -> {
                startedOn.set(Thread.currentThread());
                return CompletableFuture.supplyAsync(() -> "answer");
            });
            assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("answer");
        }
        assertThat(startedOn.get()).isNotSameAs(Thread.currentThread());
        assertThat(startedOn.get().isVirtual()).isTrue();
    }

    @Test
    void shouldFailWithTheStartedCallsErrorOrTheStartsException() {
        IOException down = new IOException("connection refused");
        CompletableFuture<String> failed =
                OffThreadStart.start(Runnable::run, () -> CompletableFuture.failedFuture(down));
        assertThatThrownBy(failed::get).isInstanceOf(ExecutionException.class).hasCause(down);

        IllegalStateException bug = new IllegalStateException("adapter bug");
        CompletableFuture<String> threw = OffThreadStart.start(Runnable::run, () -> {
            throw bug;
        });
        assertThatThrownBy(threw::get).isInstanceOf(ExecutionException.class).hasCause(bug);
    }

    @Test
    void shouldNeverStartACallCancelledBeforeItsStartRan() {
        HeldExecutor held = new HeldExecutor();
        AtomicInteger starts = new AtomicInteger();
        CompletableFuture<String> call = OffThreadStart.start(held, () -> {
            starts.incrementAndGet();
            return new CompletableFuture<>();
        });
        assertThat(call.cancel(true)).isTrue();
        held.runAll();
        assertThat(starts).hasValue(0);
    }

    @Test
    void shouldCancelTheStartedCallWhenCancelled() {
        CompletableFuture<String> exchange = new CompletableFuture<>();
        CompletableFuture<String> call = OffThreadStart.start(Runnable::run, () -> exchange);
        call.cancel(true);
        assertThat(exchange).isCancelled();
    }

    @Test
    void shouldCancelTheStartedCallWhenItTimesOut() {
        CompletableFuture<String> exchange = new CompletableFuture<>();
        CompletableFuture<String> call = OffThreadStart.start(Runnable::run, () -> exchange);
        call.orTimeout(20, TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
        assertThat(exchange).isCancelled();
    }

    @Test
    void shouldFailAtOnceWhenTheExecutorRefuses() {
        CompletableFuture<String> call = OffThreadStart.start(
                task -> {
                    throw new RejectedExecutionException("shut down");
                },
                () -> CompletableFuture.completedFuture("never"));
        assertThatThrownBy(call::get).hasCauseInstanceOf(RejectedExecutionException.class);
        assertThat(call).isNotCancelled();
        assertThat(call.isCompletedExceptionally()).isTrue();
        assertThatThrownBy(call::join).isNotInstanceOf(CancellationException.class);
    }
}
