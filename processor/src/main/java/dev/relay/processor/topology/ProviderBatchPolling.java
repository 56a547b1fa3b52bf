package dev.relay.processor.topology;

import dev.relay.config.KeyConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.provider.batch.BatchFailures;
import dev.relay.processor.topology.ProviderBatchBook.Live;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ChatRequestCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one hop task moves its provider batches along: it starts their HTTP calls (submit, look up a submit that a crash
 * cut off, poll) through {@link ProviderBatchCalls}, off the stream thread, and applies each answer on the stream
 * thread: the provider's id into the store, the time of the next poll, or the batch's end ({@link
 * ProviderBatchResults}). An answer to an earlier incarnation of the task is dropped.
 */
final class ProviderBatchPolling {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatchPolling.class);

    /**
     * How many cancel calls a provider batch gets: a call that fails with a class that may be retried on the same
     * target (a 5xx, 429, a network failure) is made again when the batch is next due, {@code poll_interval} later;
     * a refusal (the batch had ended: 400) is not.
     */
    static final int CANCEL_CALLS = 5;

    private final int hop;
    private final FallbackServices services;
    private final ProviderBatchBook book;
    private final ProviderBatchResults results;
    private final ProviderBatchCalls calls;
    private volatile int incarnation;

    ProviderBatchPolling(int hop, FallbackServices services, ProviderBatchBook book, ProviderBatchResults results) {
        this.hop = hop;
        this.services = services;
        this.book = book;
        this.results = results;
        this.calls = new ProviderBatchCalls(services.callStarter());
    }

    /** A new incarnation of the task (init, close): the answers still under way are dropped. */
    void reset() {
        incarnation++;
        calls.clear();
    }

    /** Applies the answers that came back for provider batches this task still knows. */
    void applyAnswers(long now, Function<String, InflightEntry> entries, List<ProviderBatcher.Finished> done) {
        for (ProviderBatchCalls.Event ev; (ev = calls.next()) != null; ) {
            if (ev.incarnation() == incarnation && book.get(ev.id()) != null) {
                apply(ev, now, entries, done);
            }
        }
    }

    /** The provider's batch API, or null when it is no longer configured. */
    BatchApi api(Live l) {
        return services.batchApis().get(l.record.provider());
    }

    /** Starts the submit; false (and the record gone) when none of its items is still here. */
    boolean submit(Live l, Function<String, InflightEntry> entries) {
        ProviderBatchRecord r = l.record;
        List<BatchApi.Item> items = new ArrayList<>();
        for (ProviderBatchRecord.Item i : r.items()) {
            InflightEntry e = entries.apply(i.key());
            if (e != null && book.holds(i.key(), e)) { // not replaced, and not ended since (a cancel)
                // the OpenAI-shaped request is made as the adapter writes the item, one at a time
                ChatRequest request = e.job().getRequest();
                items.add(new BatchApi.Item(i.customId(), () -> ChatRequestCodec.toOpenAi(request, r.model())));
            }
        }
        if (items.isEmpty()) {
            book.delete(r.id());
            return false;
        }
        int inc = incarnation;
        l.busy = true;
        calls.submit(inc, () -> inc == incarnation, api(l), r, items, secret(r));
        return true;
    }

    /** Asks the provider whether the submit of {@code l}, cut off by a crash, reached it. */
    void find(Live l) {
        l.busy = true;
        calls.find(incarnation, api(l), l.record, secret(l.record));
    }

    /** Asks the provider to cancel {@code l}'s batch; its items end when a poll finds it ended. */
    void cancel(Live l) {
        l.busy = true;
        l.cancelAsked = true;
        l.cancelCalls++;
        calls.cancel(incarnation, api(l), l.record, secret(l.record));
    }

    void poll(Live l) {
        l.busy = true;
        calls.poll(incarnation, api(l), l.record, secret(l.record));
    }

    private void apply(
            ProviderBatchCalls.Event ev,
            long now,
            Function<String, InflightEntry> entries,
            List<ProviderBatcher.Finished> done) {
        Live l = book.get(ev.id());
        l.busy = false;
        ProviderBatchRecord r = l.record;
        long pollEvery =
                services.providers().get(r.provider()).batch().pollInterval().toMillis();
        switch (ev) {
            case ProviderBatchCalls.Event.Submitted s -> {
                book.update(l, r.submitted(s.batchId(), now));
                l.nextAt = now + pollEvery;
                services.metrics().providerBatch(r.provider(), "submitted");
                log.info(
                        "hop {}: provider batch {} submitted to {} as {} ({} items)",
                        hop,
                        r.id(),
                        r.provider(),
                        s.batchId(),
                        r.items().size());
            }
            case ProviderBatchCalls.Event.Found f
            when f.lookup() instanceof BatchApi.Lookup.Found found -> {
                book.update(l, r.submitted(found.batchId(), now));
                l.nextAt = now;
                services.metrics().providerBatch(r.provider(), "recovered");
                log.info(
                        "hop {}: provider batch {} found at {} as {} after a restart",
                        hop,
                        r.id(),
                        r.provider(),
                        found.batchId());
            }
            case ProviderBatchCalls.Event.Found f
            when f.lookup() instanceof BatchApi.Lookup.Undecided u -> {
                log.info("hop {}: provider batch {}: {}; looking again in {} ms", hop, r.id(), u.why(), pollEvery);
                l.nextAt = now + pollEvery;
            }
            case ProviderBatchCalls.Event.Found f -> {
                // the cut-off submit never reached the provider: it goes out now, under the same marker
                log.info("hop {}: provider batch {} never reached {}; submitting it now", hop, r.id(), r.provider());
                if (!submit(l, entries)) {
                    book.remove(r.id());
                }
            }
            case ProviderBatchCalls.Event.SubmitFailed s -> {
                log.warn(
                        "hop {}: provider batch {} could not be submitted to {}: {}; its {} items fail as {}",
                        hop,
                        r.id(),
                        r.provider(),
                        s.failure().message(),
                        r.items().size(),
                        s.failure().failureClass());
                services.metrics().providerBatch(r.provider(), "submit_failed");
                results.end(r, now, entries, done, i -> s.failure(), Map.of());
                book.remove(r.id());
            }
            case ProviderBatchCalls.Event.PollFailed p -> {
                log.warn(
                        "hop {}: polling provider batch {} ({} at {}) failed, trying again in {} ms: {}",
                        hop,
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        pollEvery,
                        p.error().toString());
                services.metrics().providerBatch(r.provider(), "poll_failed");
                l.nextAt = now + pollEvery;
            }
            case ProviderBatchCalls.Event.Cancelled c
            when c.error() == null -> {
                services.metrics().providerBatch(r.provider(), "cancelled");
                log.info(
                        "hop {}: provider batch {} ({} at {}) cancelled, its items' Relay batches were: {}",
                        hop,
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        c.status());
                l.nextAt = now; // polled at once, then every poll_interval until it has ended
            }
            case ProviderBatchCalls.Event.Cancelled c -> {
                services.metrics().providerBatch(r.provider(), "cancel_failed");
                FailureClass failure = ProviderBatchCalls.failureOf(c.error()).failureClass();
                boolean again = failure.retrySameTarget() && l.cancelCalls < CANCEL_CALLS;
                if (again) {
                    l.cancelAsked = false; // asked again when it is next due
                    l.nextAt = now + pollEvery;
                } // else not asked again: the batch runs to its end, as it would have without the cancel
                log.warn(
                        "hop {}: cancelling provider batch {} ({} at {}) failed ({}, call {} of {}); {}: {}",
                        hop,
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        failure,
                        l.cancelCalls,
                        CANCEL_CALLS,
                        again ? "asking again in " + pollEvery + " ms" : "it runs to its end",
                        c.error().toString());
            }
            case ProviderBatchCalls.Event.Polled p
            when p.poll() instanceof BatchApi.Poll.Running running -> {
                log.debug("provider batch {} at {}: {}", r.id(), r.provider(), running.status());
                l.nextAt = now + pollEvery;
            }
            case ProviderBatchCalls.Event.Polled p -> {
                var ended = (BatchApi.Poll.Ended) p.poll();
                ProviderBatchResults.Reported reported = results.reported(r, ended);
                Map<String, AttemptOutcome> byCustomId = reported.byCustomId();
                String unreadable = reported.unreadable().isEmpty()
                        ? ""
                        : "; " + reported.unreadable().size() + " of its result lines could not be read and name no"
                                + " item, the first: " + reported.unreadable().get(0);
                services.metrics().providerBatch(r.provider(), "ended");
                log.info(
                        "hop {}: provider batch {} ({} at {}) ended {}: {} results for {} items",
                        hop,
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        ended.status(),
                        byCustomId.size(),
                        r.items().size());
                results.end(
                        r,
                        now,
                        entries,
                        done,
                        i -> byCustomId.getOrDefault(
                                i.customId(),
                                BatchFailures.of(
                                        BatchFailures.MISSING,
                                        "provider batch " + r.providerBatchId() + " ended " + ended.status()
                                                + " without a result for this item" + unreadable)),
                        p.completions());
                book.remove(r.id());
            }
        }
    }

    private Optional<Secret> secret(ProviderBatchRecord r) {
        if (r.keyName() == null) {
            return Optional.empty();
        }
        return services.providers().get(r.provider()).keys().stream()
                .filter(k -> k.name().equals(r.keyName()))
                .findFirst()
                .flatMap(KeyConfig::value);
    }
}
