package dev.relay.processor.fault;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** A rule's {@code latency}: {@code fixed} waits {@code min}; {@code uniform} waits a uniform time in [min, max]. */
record LatencySpec(Type type, Duration min, Duration max) {

    static final LatencySpec NONE = new LatencySpec(Type.FIXED, Duration.ZERO, Duration.ZERO);

    enum Type {
        FIXED,
        UNIFORM
    }

    Duration sample(RandomGenerator random) {
        if (type == Type.FIXED || max.compareTo(min) <= 0) {
            return min;
        }
        long spanNanos = max.minus(min).toNanos();
        return min.plusNanos(random.nextLong(spanNanos + 1));
    }
}
