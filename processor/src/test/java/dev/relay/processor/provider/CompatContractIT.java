package dev.relay.processor.provider;

import java.util.Map;

/** A generic OpenAI-compatible provider (Groq fixtures); base_url ends with /openai/v1, so no /v1 is added. */
class CompatContractIT extends OpenAiShapedContractIT {

    @Override
    String fixtureFile() {
        return "compat-groq.json";
    }

    @Override
    String providerJson() {
        return """
                {"type": "openai-compatible", "network_config": {"base_url": "%s/openai/v1",
                  "extra_headers": {"X-Relay-Test": "contract"}}}""";
    }

    @Override
    String model() {
        return "llama-3.1-8b-instant";
    }

    @Override
    String expectedUrl() {
        return "/openai/v1/chat/completions";
    }

    @Override
    Map<String, String> expectedHeaders() {
        return Map.of("Authorization", "Bearer " + KEY);
    }
}
