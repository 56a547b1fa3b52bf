package dev.relay.processor.provider.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One provider's batch API (OpenAI Files plus Batches, Anthropic Message Batches): submit a batch of chat requests,
 * poll it, read each item's result. The methods block (they run on virtual threads, never on a stream thread) and
 * throw {@link BatchApiException} for an HTTP error and {@link IOException} for a network one.
 */
public interface BatchApi {

    /**
     * One item: its {@code custom_id} in the provider batch and its OpenAI-shaped request (with the model set). The
     * request is made when the adapter writes the item, so a submit of 50,000 items holds one item's request at a
     * time, not all of them as JSON trees.
     */
    record Item(String customId, Supplier<ObjectNode> request) {

        /** An item whose request is already built. */
        public Item(String customId, ObjectNode request) {
            this(customId, () -> request);
        }
    }

    /** An item's result, named by its {@code custom_id}: a chat.completion, or a classified failure. */
    record ItemResult(String customId, AttemptOutcome outcome) {}

    /** What a poll found. */
    sealed interface Poll {
        /** The provider is still working on it ({@code status} is the provider's word for it). */
        record Running(String status) implements Poll {}

        /**
         * The provider batch has ended ({@code status}: completed, ended, expired, failed, cancelled). {@code results}
         * holds what the provider reported, item by item, in its order; an item it did not report is missing here.
         */
        record Ended(String status, List<ItemResult> results) implements Poll {}
    }

    /**
     * Creates the provider batch and returns its id. {@code marker} is Relay's own id for it, attached where the
     * provider keeps metadata, so {@link #find} can find the batch after a crash.
     */
    String submit(String marker, String model, List<Item> items, Optional<Secret> key)
            throws IOException, InterruptedException;

    /** What {@link #find} learned about a submit that was cut off before its batch id was recorded. */
    sealed interface Lookup {
        /** The provider has the batch: its id. */
        record Found(String batchId) implements Lookup {}

        /** The provider has no such batch: the submit never arrived, and may be sent now. */
        record NotFound() implements Lookup {}

        /** Not known yet (a candidate batch has not ended, so its items cannot be read): ask again later. */
        record Undecided(String why) implements Lookup {}
    }

    /**
     * Whether the provider has a batch submitted with {@code marker} (and the items {@code customIds}) at or after
     * {@code since}: how a restart learns whether a submit cut off by a crash reached the provider, so that it is
     * neither lost nor sent twice.
     */
    Lookup find(String marker, Instant since, Set<String> customIds, Optional<Secret> key)
            throws IOException, InterruptedException;

    Poll poll(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException;

    /**
     * Asks the provider to cancel the batch and returns its status as answered ({@code cancelling}; Anthropic's
     * {@code canceling}). The provider stops starting its items; the batch ends later, with the results of the items
     * it had already finished, found by {@link #poll} as for any batch.
     */
    String cancel(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException;
}
