package dev.relay.ingress;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import java.util.Map;
import java.util.Optional;

/** Relay configs for ingress tests, parsed by the real loader. */
public final class TestConfigs {

    public static final String API_KEY = "sk-test-ingress-key";

    private TestConfigs() {}

    /** Providers openai, anthropic, groq (max 2 fallbacks); extra JSON sections are spliced in verbatim. */
    public static RelayConfig config(String kafkaExtra, String ingressExtra, String webhooksExtra) {
        String json = """
                {"providers": {
                   "openai": {"type": "openai-compatible", "network_config": {"base_url": "http://127.0.0.1:9"}},
                   "anthropic": {"type": "openai-compatible", "network_config": {"base_url": "http://127.0.0.1:9"}},
                   "groq": {"type": "openai-compatible", "network_config": {"base_url": "http://127.0.0.1:9"}}},
                 "kafka": {"max_fallbacks": 2 %s},
                 "ingress": {"port": 0 %s},
                 "webhooks": {"secret": "env.WEBHOOK_SECRET" %s}}
                """.formatted(kafkaExtra, ingressExtra, webhooksExtra);
        Map<String, String> env = Map.of("RELAY_KEY", API_KEY, "WEBHOOK_SECRET", "whsec_c2VjcmV0LWZvci10ZXN0cw==");
        return new ConfigLoader(name -> Optional.ofNullable(env.get(name))).parse(json, "test");
    }
}
