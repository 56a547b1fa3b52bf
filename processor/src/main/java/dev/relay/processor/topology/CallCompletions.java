package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.topology.CallLauncher.Launched;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The hand-over of one hop task's running calls to its stream thread: a call completes on a client thread and leaves a
 * {@link FinishedCall} here; only the stream thread takes them ({@link #next}), passing over those a newer record for
 * the same job id superseded. A closed task's calls leave nothing: its new owner re-issues them.
 */
final class CallCompletions {

    private final HopQueue queue;
    private final Queue<FinishedCall> finished = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    CallCompletions(HopQueue queue) {
        this.queue = queue;
    }

    /** Takes completions again (init); true when the task had been closed before (Streams revives it in place). */
    boolean open() {
        boolean wasClosed = closed;
        closed = false;
        return wasClosed;
    }

    /** Makes {@code l} this task's running call for {@code key}: its outcome comes back through {@link #next}. */
    void track(String key, String provider, Launched l) {
        long seq = queue.running(key, l.future());
        l.future().whenComplete((outcome, error) -> {
            long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - l.startNanos());
            AttemptOutcome result = CallEnd.outcomeOf(outcome, error, provider, key, latencyMs);
            if (!closed) { // a task that was closed must not forward: its new owner re-issues the call
                String json = result instanceof AttemptOutcome.Success ok
                        ? ok.completion().toString()
                        : null;
                finished.add(new FinishedCall(key, seq, result, l.keyName(), l.startedAtMs(), latencyMs, json));
            }
        });
    }

    /** The next current completion, or null when none is waiting. Stream thread only. */
    FinishedCall next() {
        for (FinishedCall c; (c = finished.poll()) != null; ) {
            if (queue.finished(c.key(), c.seq())) {
                return c;
            }
            // superseded by a newer record for the same job id
        }
        return null;
    }

    /** From now on completions are dropped (the task is closing). */
    void close() {
        closed = true;
    }

    /** Drops the completions still waiting. */
    void clear() {
        finished.clear();
    }
}
