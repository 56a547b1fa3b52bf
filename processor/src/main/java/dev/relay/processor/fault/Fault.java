package dev.relay.processor.fault;

import dev.relay.processor.attempt.AttemptOutcome;
import java.time.Duration;
import java.util.Optional;

/**
 * What a matching mocker rule does to one call: wait {@code latency}, then answer with {@code outcome}; an empty
 * outcome means latency only, after which the real provider is called.
 */
public record Fault(String ruleName, Duration latency, Optional<AttemptOutcome> outcome) {}
