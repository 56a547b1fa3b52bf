package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * {@code providers.<name>.batch}: whether items of a 24 h batch may run through the provider's own batch API (OpenAI
 * Batch, Anthropic Message Batches) at its batch price, instead of one real-time call each. A hop groups such items
 * per provider, model and key into one provider batch of at most {@code maxItems}, submitted when it is full or when
 * its oldest item has waited {@code maxWait}, whichever comes first; a submitted batch is polled every
 * {@code pollInterval}.
 */
public record BatchSettings(boolean enabled, int maxItems, Duration maxWait, Duration pollInterval) {

    public static final int DEFAULT_MAX_ITEMS = 10_000;
    /** OpenAI's limit per batch (Anthropic's is 100,000). */
    public static final int MAX_ITEMS = 50_000;

    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(30);

    public static final BatchSettings OFF =
            new BatchSettings(false, DEFAULT_MAX_ITEMS, DEFAULT_MAX_WAIT, DEFAULT_POLL_INTERVAL);

    static BatchSettings read(Node n, String type) {
        if (!n.present()) {
            return OFF;
        }
        boolean enabled = n.get("enabled").bool(false);
        if (enabled && !type.equals("openai") && !type.equals("anthropic")) {
            throw n.get("enabled")
                    .error("a provider batch API exists for types openai and anthropic only; this provider is " + type);
        }
        int maxItems = n.get("max_items").integer(DEFAULT_MAX_ITEMS, 1, MAX_ITEMS);
        Duration maxWait = n.get("max_wait").duration(DEFAULT_MAX_WAIT, ChronoUnit.SECONDS);
        Duration poll = n.get("poll_interval").duration(DEFAULT_POLL_INTERVAL, ChronoUnit.SECONDS);
        if (poll.isZero()) {
            throw n.get("poll_interval").error("must be positive");
        }
        return new BatchSettings(enabled, maxItems, maxWait, poll);
    }
}
