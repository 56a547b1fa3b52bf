package dev.relay.processor.provider.stream;

/**
 * Turns the lines of a {@code text/event-stream} body into events, per the WHATWG rules Relay's providers rely on:
 * {@code event:} names the event, {@code data:} lines are joined with newlines, a blank line dispatches, lines
 * starting with {@code :} are comments (OpenRouter's keep-alive {@code : OPENROUTER PROCESSING}), {@code id:} and
 * {@code retry:} are ignored. One parser per response; not thread-safe.
 */
public final class SseParser {

    private String event;
    private StringBuilder data;

    /** Feeds one line (without its line ending); returns the event it completes, or null. */
    public SseEvent line(String line) {
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.charAt(0) == ':') {
            return null;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> event = value;
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            default -> {} // id, retry, unknown fields
        }
        return null;
    }

    /** The body ended: an event whose blank line never came is still dispatched (some servers omit the last one). */
    public SseEvent end() {
        return dispatch();
    }

    private SseEvent dispatch() {
        if (data == null) {
            event = null;
            return null;
        }
        SseEvent e = new SseEvent(event, data.toString());
        event = null;
        data = null;
        return e;
    }
}
