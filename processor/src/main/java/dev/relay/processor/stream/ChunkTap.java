package dev.relay.processor.stream;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChunkSink;

/** The chunks of one streaming call on their way to {@code relay.stream}, and how the call ended. */
public interface ChunkTap extends ChunkSink {

    /** The call ended with {@code outcome}: END after a success, ABORT after a failure the caller saw content of. */
    void finish(AttemptOutcome outcome);
}
