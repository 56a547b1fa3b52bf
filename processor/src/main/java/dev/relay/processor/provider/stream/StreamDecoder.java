package dev.relay.processor.provider.stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One streamed answer's translation from a provider's events to OpenAI {@code chat.completion.chunk}s. Stateful (one
 * per call), pure (no I/O), so each dialect is unit-tested on recorded wire samples.
 */
public interface StreamDecoder {

    Decoded decode(SseEvent event);

    /**
     * The body ended without the provider's end event: the chunks still owed (Gemini's usage, which has no end event;
     * an Anthropic stream cut after {@code message_delta}). Empty when nothing is owed.
     */
    List<ObjectNode> finish();
}
