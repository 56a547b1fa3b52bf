package dev.relay.processor.provider.stream;

/** One server-sent event: its {@code event:} name (null when the event has none) and its joined {@code data:} lines. */
public record SseEvent(String event, String data) {}
