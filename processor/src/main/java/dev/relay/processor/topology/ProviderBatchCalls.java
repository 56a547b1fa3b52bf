package dev.relay.processor.topology;

import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.provider.batch.BatchApiException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * The batch tier's HTTP calls (submit, look up a cut-off submit, poll), run on the call starter's threads, never on a
 * stream thread. Each answers with an {@link Event} in a queue that only the stream thread drains ({@link #next}), so
 * every change to the store happens there. An event carries the incarnation of the task that asked, so the answer to
 * a closed task is dropped.
 */
final class ProviderBatchCalls {

    /** An answer from an off-thread call. */
    sealed interface Event {
        String id();

        int incarnation();

        record Submitted(String id, int incarnation, String batchId) implements Event {}

        record Found(String id, int incarnation, BatchApi.Lookup lookup) implements Event {}

        record SubmitFailed(String id, int incarnation, AttemptOutcome.Failure failure) implements Event {}

        /** {@code completions}: each succeeded item's chat.completion already written out, by custom_id. */
        record Polled(String id, int incarnation, BatchApi.Poll poll, Map<String, String> completions)
                implements Event {}

        record PollFailed(String id, int incarnation, Exception error) implements Event {}

        /** The cancel was answered: the provider's status, or the error ({@code status} null). */
        record Cancelled(String id, int incarnation, String status, Exception error) implements Event {}
    }

    private final Executor executor;
    private final Queue<Event> events = new ConcurrentLinkedQueue<>();

    ProviderBatchCalls(Executor executor) {
        this.executor = executor;
    }

    /** The next answer, or null. Stream thread only. */
    Event next() {
        return events.poll();
    }

    void clear() {
        events.clear();
    }

    /** Submits {@code r}'s {@code items}, unless the task that asked has closed by the time the call starts. */
    void submit(
            int inc,
            BooleanSupplier stillCurrent,
            BatchApi api,
            ProviderBatchRecord r,
            List<BatchApi.Item> items,
            Optional<Secret> key) {
        executor.execute(() -> {
            if (!stillCurrent.getAsBoolean()) {
                return; // the task closed since: its new owner decides, from the store
            }
            try {
                events.add(new Event.Submitted(r.id(), inc, api.submit(r.id(), r.model(), items, key)));
            } catch (Exception e) {
                events.add(new Event.SubmitFailed(r.id(), inc, failureOf(e)));
            }
        });
    }

    /** Asks the provider whether {@code r}'s cut-off submit reached it. */
    void find(int inc, BatchApi api, ProviderBatchRecord r, Optional<Secret> key) {
        executor.execute(() -> {
            try {
                Set<String> customIds = new HashSet<>();
                r.items().forEach(i -> customIds.add(i.customId()));
                events.add(new Event.Found(
                        r.id(), inc, api.find(r.id(), Instant.ofEpochMilli(r.createdAt()), customIds, key)));
            } catch (Exception e) {
                events.add(new Event.PollFailed(r.id(), inc, e));
            }
        });
    }

    void poll(int inc, BatchApi api, ProviderBatchRecord r, Optional<Secret> key) {
        executor.execute(() -> {
            try {
                BatchApi.Poll p = api.poll(r.providerBatchId(), key);
                Map<String, String> json = new HashMap<>();
                if (p instanceof BatchApi.Poll.Ended ended) {
                    for (var item : ended.results()) {
                        if (item.outcome() instanceof AttemptOutcome.Success ok && item.customId() != null) {
                            json.put(item.customId(), ok.completion().toString());
                        }
                    }
                }
                events.add(new Event.Polled(r.id(), inc, p, json));
            } catch (Exception e) {
                events.add(new Event.PollFailed(r.id(), inc, e));
            }
        });
    }

    /** Asks the provider to cancel {@code r}'s batch (its items all belong to cancelled Relay batches). */
    void cancel(int inc, BatchApi api, ProviderBatchRecord r, Optional<Secret> key) {
        executor.execute(() -> {
            try {
                events.add(new Event.Cancelled(r.id(), inc, api.cancel(r.providerBatchId(), key), null));
            } catch (Exception e) {
                events.add(new Event.Cancelled(r.id(), inc, null, e));
            }
        });
    }

    /**
     * A submit or cancel that failed, classified: by the provider's status and error body, or as a call's exception is.
     */
    static AttemptOutcome.Failure failureOf(Exception e) {
        if (e instanceof BatchApiException api) {
            return AttemptOutcome.Failure.of(
                    api.failureClass(),
                    api.status(),
                    api.error().type(),
                    api.error().code(),
                    api.getMessage());
        }
        return (AttemptOutcome.Failure) CallEnd.failureOf(e);
    }
}
