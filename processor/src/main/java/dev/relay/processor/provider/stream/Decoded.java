package dev.relay.processor.provider.stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.provider.ProviderError;
import java.util.List;

/**
 * What one provider event means in OpenAI terms: chunks to pass on ({@link Chunks}), the provider's end of stream
 * ({@link End}), an error event ({@link Error}, classified like an HTTP error with {@code status}), or an event that
 * could not be read ({@link Malformed}: skipped and counted).
 */
public sealed interface Decoded {

    Decoded NOTHING = new Chunks(List.of());

    record Chunks(List<ObjectNode> chunks) implements Decoded {}

    /** The provider said the stream is over ({@code [DONE]}, {@code message_stop}); {@code chunks} come first. */
    record End(List<ObjectNode> chunks) implements Decoded {}

    record Error(int status, ProviderError error) implements Decoded {}

    record Malformed(String why) implements Decoded {}

    static Decoded of(ObjectNode chunk) {
        return new Chunks(List.of(chunk));
    }
}
