package dev.relay.processor.topology;

import dev.relay.processor.provider.batch.BatchFailures;
import dev.relay.processor.topology.ProviderBatchBook.Live;
import dev.relay.schemas.Job;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch tier of one hop task: items of 24 h batches whose target's provider has {@code batch.enabled} are not
 * called one by one but grouped per provider, model and key into provider batches ({@code max_items} or
 * {@code max_wait}, whichever comes first), submitted, polled every {@code poll_interval}, and when a provider batch
 * ends each item's result, found by its {@code custom_id}, comes back from {@link #tick} as a {@link FinishedCall}
 * that the hop settles like any call's end (so a failed or expired item goes down its chain as usual).
 *
 * <p>Its parts: {@link ProviderBatchGroups} forms the provider batches; {@link ProviderBatchBook} keeps them in the
 * hop's changelogged provider-batch store ({@link ProviderBatchRecord}), written before the submit and updated with
 * the provider's id when the submit returns; {@link ProviderBatchPolling} runs the HTTP calls off the stream thread
 * and applies their answers on it; {@link ProviderBatchResults} ends the items, deleting the record in the same
 * transaction. Crash windows: docs/batches.md.
 */
final class ProviderBatcher {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatcher.class);

    /**
     * How long after the submit intent is written the submit goes out: the intent is committed first (the hop asks
     * for a commit at once), so a crash can never leave a submitted batch that the store does not know.
     */
    static final long SUBMIT_AFTER_MS = 1_000;

    /**
     * What {@link #tick} hands back: an item whose attempt ended, with its in-flight entry; {@code call} null: an item
     * of a cancelled Relay batch taken out before its provider batch was submitted (no attempt was made).
     */
    record Finished(String key, InflightEntry entry, FinishedCall call) {}

    private final int hop;
    private final ProviderBatchGroups groups;
    private final ProviderBatchBook book = new ProviderBatchBook();
    private final ProviderBatchResults results;
    private final ProviderBatchPolling polling;
    private final CancelledBatches cancels;

    private ProcessorContext<String, Object> ctx;

    ProviderBatcher(int hop, FallbackServices services, CancelledBatches cancels) {
        this.hop = hop;
        this.cancels = cancels;
        this.groups = new ProviderBatchGroups(hop, services);
        this.results = new ProviderBatchResults(services, book);
        this.polling = new ProviderBatchPolling(hop, services, book, results);
    }

    /** Loads the provider batches of this task from the store (restored from its changelog). */
    void init(ProcessorContext<String, Object> context, KeyValueStore<String, String> batches, long now) {
        polling.reset();
        this.ctx = context;
        groups.clear();
        book.load(batches, now);
        if (book.batches() > 0) {
            log.info(
                    "task {} hop {}: resuming {} provider batches ({} items)",
                    context.taskId(),
                    hop,
                    book.batches(),
                    book.items());
        }
    }

    /** Whether the job's target on {@code targetHop} runs as an item of a provider batch. */
    boolean accepts(Job job, int targetHop, long now) {
        return groups.accepts(job, targetHop, now);
    }

    /** Whether {@code key}'s restored entry is an item of a provider batch this task resumes (not to be queued). */
    boolean holds(String key, InflightEntry e) {
        return book.holds(key, e);
    }

    /**
     * Puts the job into the open group of its provider, model and key. False when the provider has keys but none is
     * usable for this job: the real-time path refuses it as it would any call.
     */
    boolean add(String key, InflightEntry e, long now) {
        return groups.add(key, e, now);
    }

    /** A newer record replaced the job: whatever its provider batch says about the old one is not used. */
    void forget(String key) {
        groups.forget(key);
        book.forget(key);
    }

    /**
     * Seals the groups that are due, starts the submits and polls that are due, and applies the answers that came
     * back. Returns the items whose attempt ended, for the hop to settle in this same transaction.
     */
    List<Finished> tick(long now, Function<String, InflightEntry> entries) {
        List<Finished> done = new ArrayList<>();
        polling.applyAnswers(now, entries, done);
        seal(now);
        for (Iterator<Live> it = book.iterator(); it.hasNext(); ) {
            Live l = it.next();
            if (l.busy || now < l.nextAt) {
                continue;
            }
            if (polling.api(l) == null) {
                // the provider's batch API is no longer configured: the items go on as failed attempts
                results.end(
                        l.record,
                        now,
                        entries,
                        done,
                        i -> BatchFailures.of(
                                BatchFailures.MISSING,
                                "provider " + l.record.provider() + " no longer has batch.enabled; provider batch "
                                        + l.record.providerBatchId() + " is not polled"),
                        Map.of());
                it.remove();
                continue;
            }
            if (l.record.providerBatchId() != null) {
                if (!l.cancelAsked && allCancelled(l, now, entries)) {
                    polling.cancel(l);
                } else {
                    polling.poll(l);
                }
            } else if (!l.restored) {
                takeCancelled(l, now, entries, done);
                if (!polling.submit(l, entries)) {
                    it.remove();
                }
            } else {
                polling.find(l); // a submit cut off by a crash: did it reach the provider?
            }
        }
        return done;
    }

    /**
     * Whether every item of {@code l} belongs to a cancelled Relay batch: then the provider batch is cancelled. A
     * provider batch shared with a live Relay batch runs on; the cancelled batches' items in it end when it ends.
     */
    private boolean allCancelled(Live l, long now, Function<String, InflightEntry> entries) {
        if (l.relayBatches == null) {
            l.relayBatches = new HashSet<>();
            for (ProviderBatchRecord.Item i : l.record.items()) {
                InflightEntry e = entries.apply(i.key());
                if (e != null && book.holds(i.key(), e)) {
                    l.relayBatches.add(
                            e.job().getBatchId() == null ? "" : e.job().getBatchId());
                }
            }
        }
        if (l.relayBatches.isEmpty()) {
            return false;
        }
        for (String b : l.relayBatches) {
            if (b.isEmpty() || !cancels.cancelled(b, now)) {
                return false;
            }
        }
        return true;
    }

    /** Before a submit: the items of cancelled Relay batches leave the provider batch and end (no attempt made). */
    private void takeCancelled(Live l, long now, Function<String, InflightEntry> entries, List<Finished> done) {
        for (ProviderBatchRecord.Item i : l.record.items()) {
            InflightEntry e = entries.apply(i.key());
            if (e != null && book.holds(i.key(), e) && cancels.cancelled(e.job(), now) && book.take(l.record, i, e)) {
                done.add(new Finished(i.key(), e, null));
            }
        }
    }

    /** Writes the intent of each provider batch sealed now and asks for a commit, before any submit goes out. */
    private void seal(long now) {
        List<ProviderBatchRecord> sealed = groups.seal(now);
        for (ProviderBatchRecord r : sealed) {
            book.add(r, now + SUBMIT_AFTER_MS); // the intent, committed before the submit goes out
            log.info(
                    "hop {}: provider batch {} of {} items for {}/{} (key {}) sealed; submit in {} ms",
                    hop,
                    r.id(),
                    r.items().size(),
                    r.provider(),
                    r.model(),
                    r.keyName(),
                    SUBMIT_AFTER_MS);
        }
        if (!sealed.isEmpty()) {
            ctx.commit();
        }
    }

    /** The task closed: off-thread answers still under way are dropped (the next owner resumes from the store). */
    void close() {
        polling.reset();
        groups.clear();
        book.clear();
    }
}
