package dev.relay.processor.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a streaming call hands each OpenAI {@code chat.completion.chunk} as soon as it is decoded, in order, on the
 * call's reading thread. The call's future still completes with the whole outcome; the sink decides what the caller
 * sees of it.
 */
@FunctionalInterface
public interface ChunkSink {

    void chunk(ObjectNode chunk);
}
