package dev.relay.processor.provider;

import java.util.Map;

class OpenAiContractIT extends OpenAiShapedContractIT {

    @Override
    String fixtureFile() {
        return "openai.json";
    }

    @Override
    String providerJson() {
        return """
                {"type": "openai", "network_config": {"base_url": "%s",
                  "extra_headers": {"X-Relay-Test": "contract"}}}""";
    }

    @Override
    String model() {
        return "gpt-4o-mini";
    }

    @Override
    String expectedUrl() {
        return "/v1/chat/completions";
    }

    @Override
    Map<String, String> expectedHeaders() {
        return Map.of("Authorization", "Bearer " + KEY);
    }
}
