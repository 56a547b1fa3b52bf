package dev.relay.processor.provider.http;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.stream.StreamDecoder;

/**
 * One provider's wire format: how an OpenAI-shaped request becomes that provider's HTTP request, and how its answers
 * become an OpenAI {@code chat.completion} or a parsed error. Pure functions, no I/O, so they can be benchmarked and
 * unit-tested on their own; {@link HttpProviderClient} does the transport.
 */
public interface Dialect {

    /** The base URL used when {@code network_config.base_url} is not set (without the version path). */
    String defaultBaseUrl();

    /** The request for {@code call}; {@code key} is the revealed key value, to be placed in a header only. */
    WireRequest toWire(ChatCall call, String key);

    /**
     * Maps a 2xx body. Returns a {@link AttemptOutcome.Success} with an OpenAI {@code chat.completion}, or a failure
     * (TRUNCATED for an unusable body, CONTENT_FILTERED for a filtered answer without content).
     */
    AttemptOutcome fromWire(byte[] body, int status);

    /** Parses a non-2xx body into the provider's type, code and message; never fails, whatever the body. */
    ProviderError parseError(int status, byte[] body);

    /**
     * The request for {@code call} in the provider's streaming mode (its answer is a {@code text/event-stream}).
     * Every shipped dialect has one; the default is for test doubles that never stream.
     */
    default WireRequest toStreamWire(ChatCall call, String key) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no streaming mode");
    }

    /** A decoder for one streamed answer to {@code call}: provider events to OpenAI chunks. */
    default StreamDecoder streamDecoder(ChatCall call) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no streaming mode");
    }
}
