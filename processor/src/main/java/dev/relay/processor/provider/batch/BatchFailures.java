package dev.relay.processor.provider.batch;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;

/**
 * The failures a provider batch reports for an item without an HTTP answer of its own, as classes: an expired item is
 * a {@link FailureClass#TIMEOUT} (the provider did not get to it in time: not retried on the same target, the chain
 * moves on); a cancelled item, one missing from the results, or one of a batch the provider failed as a whole is
 * {@link FailureClass#TRANSIENT} (retried within {@code max_retries}, then the next hop).
 */
public final class BatchFailures {

    public static final String EXPIRED = "batch_expired";
    public static final String CANCELLED = "batch_cancelled";
    public static final String MISSING = "batch_item_missing";

    private BatchFailures() {}

    public static AttemptOutcome.Failure of(String code, String message) {
        FailureClass cls = EXPIRED.equals(code) ? FailureClass.TIMEOUT : FailureClass.TRANSIENT;
        return AttemptOutcome.Failure.of(cls, null, "provider_batch_error", code, message);
    }
}
