package dev.relay.processor.attempt;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with "equal jitter": the n-th retry waits a uniform random time in {@code [b/2, b]} where
 * {@code b = min(initial * 2^(n-1), max)}. Half of the wait is guaranteed (a retry storm cannot fire at once), the
 * other half spreads clients that failed together.
 */
public final class Backoff {

    private Backoff() {}

    /** The wait before the retry that follows failed attempt number {@code attempt} (1-based). */
    public static Duration jittered(int attempt, Duration initial, Duration max, RandomGenerator random) {
        long ceiling = ceilingMillis(attempt, initial.toMillis(), max.toMillis());
        long floor = ceiling / 2;
        long wait = ceiling == floor ? ceiling : floor + random.nextLong(ceiling - floor + 1);
        return Duration.ofMillis(wait);
    }

    /** {@code min(initial * 2^(attempt-1), max)} without overflow. */
    static long ceilingMillis(int attempt, long initialMillis, long maxMillis) {
        int shift = Math.max(0, attempt - 1);
        if (initialMillis <= 0) {
            return 0;
        }
        if (shift >= 62 || initialMillis > (maxMillis >> Math.min(shift, 62))) {
            return maxMillis;
        }
        return Math.min(initialMillis << shift, maxMillis);
    }
}
