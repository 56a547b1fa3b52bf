package dev.relay.processor.routing;

import dev.relay.processor.attempt.FailureClass;
import java.time.Duration;

/**
 * The circuit breakers as the call policy sees them: a permit before each call to a target, settled by the call's
 * outcome. {@link CircuitBreakers} is the real one; topology tests open and close a stub by hand.
 */
public interface Breakers {

    /**
     * Whether a call to the target may go out now; false means the attempt is {@code SKIPPED_CIRCUIT_OPEN}.
     * {@code attemptOnTarget} is the job's 1-based attempt on this target: above 1 for a retry.
     */
    boolean tryAcquire(String provider, String model, int attemptOnTarget);

    void onSuccess(String provider, String model, Duration latency);

    void onFailure(String provider, String model, FailureClass failure, Duration latency);

    /** Gives back a permit whose call never produced an outcome (cancelled, task closed). */
    void release(String provider, String model);
}
