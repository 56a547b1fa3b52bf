package dev.relay.processor.attempt;

import java.util.OptionalInt;

/**
 * The effective decisions for one {@link FailureClass}: the failure table's defaults, overridden per class under
 * {@code fallback_policy.classes}. {@code maxRetries} empty means the provider's {@code network_config.max_retries}.
 */
public record ClassPolicy(boolean retrySame, boolean nextHop, boolean rotateKey, OptionalInt maxRetries) {

    /** TRUNCATED is "retried once" whatever the provider's max_retries says (ARCHITECTURE.md). */
    static final int TRUNCATED_RETRIES = 1;

    public static ClassPolicy defaults(FailureClass c) {
        OptionalInt max = c == FailureClass.TRUNCATED ? OptionalInt.of(TRUNCATED_RETRIES) : OptionalInt.empty();
        return new ClassPolicy(c.retrySameTarget(), c.nextHop(), c.rotateKey(), max);
    }

    /** How many more attempts on the same target are allowed after the first one. */
    public int retryLimit(int networkMaxRetries) {
        return maxRetries.orElse(networkMaxRetries);
    }
}
