package dev.relay.processor.provider.batch;

import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One provider's batch API (OpenAI Files plus Batches, Anthropic Message Batches): submit a batch of chat requests,
 * poll it, read each item's result. The methods block (they run on virtual threads, never on a stream thread) and
 * throw {@link BatchApiException} for an HTTP error and {@link IOException} for a network one.
 */
public interface BatchApi {

    /** One item: its {@code custom_id} in the provider batch and its OpenAI-shaped request (with the model set). */
    record Item(String customId, com.fasterxml.jackson.databind.node.ObjectNode request) {}

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
     * provider keeps metadata, so {@link #findSubmitted} can find the batch after a crash.
     */
    String submit(String marker, String model, List<Item> items, Optional<Secret> key)
            throws IOException, InterruptedException;

    /**
     * The id of a batch submitted with {@code marker} at or after {@code since}, if the provider has one: how a
     * restart learns whether a submit that was cut off reached the provider. Empty when there is none, or when the
     * provider keeps no marker ({@link #keepsMarkers()} false).
     */
    Optional<String> findSubmitted(String marker, Instant since, Optional<Secret> key)
            throws IOException, InterruptedException;

    /** Whether {@link #findSubmitted} can find a batch by its marker. */
    boolean keepsMarkers();

    Poll poll(String providerBatchId, Optional<Secret> key) throws IOException, InterruptedException;
}
