package dev.relay.ingress.kafka;

import dev.relay.schemas.StreamChunk;

/** A chunk as read from {@code relay.stream}: its offset (the SSE event id the caller sees) and its value. */
public record ChunkRecord(long offset, StreamChunk chunk) {}
