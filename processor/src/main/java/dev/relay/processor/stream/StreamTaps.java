package dev.relay.processor.stream;

import dev.relay.schemas.Job;

/** Opens a {@link ChunkTap} per streaming call. {@link #NONE} for processors and tests that write no chunks. */
public interface StreamTaps {

    StreamTaps NONE = (job, hop, attempt, provider, model) -> null;

    /** The tap of one call of {@code job} (a job with a StreamSpec) on {@code hop}; null when chunks go nowhere. */
    ChunkTap open(Job job, int hop, int attempt, String provider, String model);
}
