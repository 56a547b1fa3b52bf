package dev.relay.ingress.it;

import dev.relay.testkit.StackConfig;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;

/**
 * The fallback chain of the ingress ITs, two of the test kit's {@link FakeProvider}s in OpenAI's format: openai
 * answers 429 unless the prompt says "primary-ok" (then "hello from openai"); anthropic answers "hello from anthropic"
 * unless the prompt says "all-fail" (then 503).
 */
final class FallbackProviders implements AutoCloseable {

    final FakeProvider openai;
    final FakeProvider anthropic;

    private FallbackProviders() {
        openai = FakeProvider.start()
                .script(r -> r.bodyText().contains("primary-ok")
                        ? Reply.ok("hello from openai")
                        : Reply.error(429, "requests", "Rate limit reached"));
        anthropic = FakeProvider.start()
                .script(r -> r.bodyText().contains("all-fail")
                        ? Reply.error(503, "server_error", "overloaded")
                        : Reply.ok("hello from anthropic"));
    }

    static FallbackProviders start() {
        return new FallbackProviders();
    }

    /** Adds both to {@code config}: openai (type openai, key o1) and anthropic (type openai-compatible, key a1). */
    StackConfig addTo(StackConfig config) {
        return config.provider("openai", "openai", "o1", "sk-o", openai.baseUrl())
                .provider("anthropic", "openai-compatible", "a1", "sk-a", anthropic.baseUrl());
    }

    @Override
    public void close() {
        openai.close();
        anthropic.close();
    }
}
