package dev.relay.processor.routing;

import dev.relay.processor.attempt.FailureClass;
import java.time.Duration;

/**
 * The circuit breakers as the call policy sees them: a permit before each call to a target, settled by the call's
 * outcome. {@link CircuitBreakers} is the real one; topology tests open and close a stub by hand.
 */
public interface Breakers {

    /** Whether a call to the target may go out now; false means the attempt is {@code SKIPPED_CIRCUIT_OPEN}. */
    boolean tryAcquire(String provider, String model);

    void onSuccess(String provider, String model, Duration latency);

    void onFailure(String provider, String model, FailureClass failure, Duration latency);

    /** Gives back a permit whose call never produced an outcome (cancelled, task closed). */
    void release(String provider, String model);

    /** {@code breakers} seen through this interface. */
    static Breakers of(CircuitBreakers breakers) {
        return new Breakers() {
            @Override
            public boolean tryAcquire(String provider, String model) {
                return breakers.tryAcquire(provider);
            }

            @Override
            public void onSuccess(String provider, String model, Duration latency) {
                breakers.onSuccess(provider, latency);
            }

            @Override
            public void onFailure(String provider, String model, FailureClass failure, Duration latency) {
                breakers.onFailure(provider, failure, latency);
            }

            @Override
            public void release(String provider, String model) {
                breakers.release(provider);
            }
        };
    }
}
