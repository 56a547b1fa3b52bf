package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.provider.batch.BatchFailures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settling of a provider batch that ended (or failed): each item's result, matched by its {@code custom_id}
 * alone, and each still-current item handed back as a {@link ProviderBatcher.Finished} for the hop to settle like any
 * call's end. The batch's record leaves the store in the same transaction. Stream thread only.
 */
final class ProviderBatchResults {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatchResults.class);

    private final FallbackServices services;
    private final ProviderBatchBook book;

    ProviderBatchResults(FallbackServices services, ProviderBatchBook book) {
        this.services = services;
        this.book = book;
    }

    /**
     * What an ended provider batch reported: each item's result by its custom_id, and where its results had a line that
     * is not JSON and names none of its items (an item without a result then ends {@code batch_item_missing}).
     */
    record Reported(Map<String, AttemptOutcome> byCustomId, List<String> unreadable) {}

    /**
     * Each item's result by its custom_id: the provider batch's own mapping is the only link between a result and its
     * job, so a result that names no item of the batch is logged and counted, never matched to one. A line that is not
     * JSON is logged by its number, never by its content.
     */
    Reported reported(ProviderBatchRecord r, BatchApi.Poll.Ended ended) {
        Set<String> mine = new HashSet<>();
        r.items().forEach(i -> mine.add(i.customId()));
        Map<String, AttemptOutcome> byCustomId = new HashMap<>();
        List<String> unreadable = new ArrayList<>();
        for (var item : ended.results()) {
            boolean known = item.customId() != null && mine.contains(item.customId());
            if (BatchFailures.isUnreadable(item.outcome())) {
                String where = ((AttemptOutcome.Failure) item.outcome()).message();
                log.warn(
                        "provider batch {} at {}: {}; {}",
                        r.id(),
                        r.provider(),
                        where,
                        known ? "its item fails as " + BatchFailures.UNREADABLE : "it names none of the batch's items");
                if (!known) {
                    unreadable.add(where);
                    continue;
                }
            }
            if (!known) {
                log.warn(
                        "provider batch {} ({} at {}) returned a result for custom_id '{}', which is not one of its"
                                + " items; ignored",
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        item.customId());
                services.metrics().providerBatchUnknownItem(r.provider());
            } else if (byCustomId.putIfAbsent(item.customId(), item.outcome()) != null) {
                log.warn(
                        "provider batch {}: a second result for custom_id '{}'; the first is kept",
                        r.id(),
                        item.customId());
            }
        }
        return new Reported(byCustomId, unreadable);
    }

    /** Every still-current item of {@code r} ends with its outcome; the record goes in the same transaction. */
    void end(
            ProviderBatchRecord r,
            long now,
            Function<String, InflightEntry> entries,
            List<ProviderBatcher.Finished> done,
            Function<ProviderBatchRecord.Item, AttemptOutcome> outcomes,
            Map<String, String> completions) {
        Attempt.Tier tier = Attempt.Tier.batch(r.providerBatchId());
        for (ProviderBatchRecord.Item i : r.items()) {
            InflightEntry e = entries.apply(i.key());
            if (!book.take(r, i, e)) {
                continue; // the job left or was replaced meanwhile: this result is not its
            }
            AttemptOutcome outcome = outcomes.apply(i);
            long startedAt = r.submittedAt() > 0 ? r.submittedAt() : r.createdAt();
            done.add(new ProviderBatcher.Finished(
                    i.key(),
                    e,
                    new FinishedCall(
                            i.key(),
                            0,
                            outcome,
                            r.keyName(),
                            startedAt,
                            Math.max(0, now - startedAt),
                            completions.get(i.customId()),
                            tier)));
        }
        book.delete(r.id());
    }
}
