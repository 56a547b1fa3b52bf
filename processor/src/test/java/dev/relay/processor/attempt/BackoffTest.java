package dev.relay.processor.attempt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void shouldDoubleTheCeilingPerAttemptUpToTheMax() {
        assertThat(Backoff.ceilingMillis(1, 100, 1000)).isEqualTo(100);
        assertThat(Backoff.ceilingMillis(2, 100, 1000)).isEqualTo(200);
        assertThat(Backoff.ceilingMillis(4, 100, 1000)).isEqualTo(800);
        assertThat(Backoff.ceilingMillis(5, 100, 1000)).isEqualTo(1000);
        assertThat(Backoff.ceilingMillis(500, 100, 1000)).isEqualTo(1000);
        assertThat(Backoff.ceilingMillis(63, Long.MAX_VALUE / 4, Long.MAX_VALUE / 2))
                .isEqualTo(Long.MAX_VALUE / 2);
    }

    @Test
    void shouldJitterWithinTheUpperHalfAndSpreadTheWaits() {
        SplittableRandom random = new SplittableRandom(1);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 1000; i++) {
            long ms = Backoff.jittered(3, Duration.ofMillis(100), Duration.ofSeconds(2), random)
                    .toMillis();
            min = Math.min(min, ms);
            max = Math.max(max, ms);
        }
        assertThat(min).isGreaterThanOrEqualTo(200).isLessThan(220);
        assertThat(max).isLessThanOrEqualTo(400).isGreaterThan(380);
    }

    @Test
    void shouldBeZeroWhenInitialIsZero() {
        assertThat(Backoff.jittered(3, Duration.ZERO, Duration.ZERO, new SplittableRandom(1)))
                .isZero();
    }
}
