package dev.relay.processor.provider.batch;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;

/**
 * The failures a provider batch reports for an item without an HTTP answer of its own, as classes: an expired item is
 * a {@link FailureClass#TIMEOUT} (the provider did not get to it in time: not retried on the same target, the chain
 * moves on); a cancelled item, one missing from the results, one whose line in the results is not JSON, or one of a
 * batch the provider failed as a whole is {@link FailureClass#TRANSIENT} (retried within {@code max_retries}, then the
 * next hop).
 */
public final class BatchFailures {

    public static final String EXPIRED = "batch_expired";
    public static final String CANCELLED = "batch_cancelled";
    public static final String MISSING = "batch_item_missing";
    public static final String UNREADABLE = "batch_result_unreadable";

    private BatchFailures() {}

    /**
     * The item whose line {@code u} in its provider batch's results ({@code where}: "the output file of provider batch
     * batch_abc") is not JSON; the message names the line, never its content.
     */
    static BatchApi.ItemResult unreadable(BatchHttp.Unreadable u, String where) {
        return new BatchApi.ItemResult(
                u.customId(), of(UNREADABLE, "line " + u.line() + " of " + where + " could not be read (not JSON)"));
    }

    /** Whether {@code outcome} is an item result that could not be read. */
    public static boolean isUnreadable(AttemptOutcome outcome) {
        return outcome instanceof AttemptOutcome.Failure f && UNREADABLE.equals(f.errorCode());
    }

    public static AttemptOutcome.Failure of(String code, String message) {
        FailureClass cls = EXPIRED.equals(code) ? FailureClass.TIMEOUT : FailureClass.TRANSIENT;
        return AttemptOutcome.Failure.of(cls, null, "provider_batch_error", code, message);
    }
}
