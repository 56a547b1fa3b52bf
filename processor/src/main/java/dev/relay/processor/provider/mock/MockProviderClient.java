package dev.relay.processor.provider.mock;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.mapping.Completion;
import dev.relay.processor.provider.mapping.Messages;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The built-in {@code mock} provider: no network, no key. Model {@code echo} answers the last user message; any other
 * model answers the {@code reply} option when set (else echoes too). It answers after {@code latency} (fixed), or a
 * uniform draw between {@code latency_min} and {@code latency_max}. Usage is estimated at 4 characters a token.
 */
public final class MockProviderClient implements ProviderClient {

    private final String name;
    private final String reply;
    private final long minMillis;
    private final long maxMillis;
    private final Clock clock;

    public MockProviderClient(ProviderConfig config, Clock clock) {
        this.name = config.name();
        this.clock = clock;
        Map<String, String> o = config.options();
        this.reply = o.get("reply");
        long fixed = millis(o.get("latency"), 0);
        this.minMillis = millis(o.get("latency_min"), fixed);
        this.maxMillis = Math.max(minMillis, millis(o.get("latency_max"), minMillis));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletableFuture<AttemptOutcome> call(ChatCall call) {
        long delay =
                minMillis == maxMillis ? minMillis : ThreadLocalRandom.current().nextLong(minMillis, maxMillis + 1);
        if (delay == 0) {
            return CompletableFuture.completedFuture(answer(call));
        }
        // the delayed executor lets cancel() drop the answer before it is computed
        return CompletableFuture.supplyAsync(
                () -> answer(call), CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
    }

    AttemptOutcome answer(ChatCall call) {
        JsonNode messages = call.request().path("messages");
        String lastUser = "";
        int promptChars = 0;
        for (JsonNode m : messages) {
            String text = Messages.text(m.get("content"));
            promptChars += text.length();
            if ("user".equals(m.path("role").asText())) {
                lastUser = text;
            }
        }
        String text = "echo".equals(call.model()) || reply == null ? lastUser : reply;
        return new Completion(
                        "mock-" + UUID.randomUUID(),
                        call.model(),
                        clock.instant().getEpochSecond())
                .content(text)
                .finishReason("stop")
                .usage(Math.max(1, promptChars / 4), Math.max(1, text.length() / 4))
                .success(200);
    }

    /** A duration option: a bare number is milliseconds; "250ms", "2s" are accepted too. */
    static long millis(String value, long fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        String v = value.trim();
        try {
            if (v.endsWith("ms")) {
                return Long.parseLong(v.substring(0, v.length() - 2).trim());
            }
            if (v.endsWith("s")) {
                return (long) (Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mock latency \"" + value + "\" is not a duration such as 250ms");
        }
    }
}
