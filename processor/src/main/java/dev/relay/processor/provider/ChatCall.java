package dev.relay.processor.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.Secret;
import java.time.Instant;
import java.util.Optional;

/**
 * One call to a provider: the OpenAI-shaped request body (as {@code ChatRequestCodec.toOpenAi} makes it, with
 * {@code model} set to this target's model), the key to use (empty: no key configured, which the adapter reports as
 * AUTH without calling), and the instant by which the answer must have arrived (request timeout or job deadline,
 * whichever is sooner).
 */
public record ChatCall(
        String jobId, String model, ObjectNode request, Optional<Secret> key, String keyName, Instant deadline) {}
