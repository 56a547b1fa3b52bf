package dev.relay.processor.provider;

import java.util.Map;

/** OpenRouter: OpenAI shape under /api/v1; HTTP-Referer and X-Title come from extra_headers. */
class OpenRouterContractIT extends OpenAiShapedContractIT {

    @Override
    String fixtureFile() {
        return "openrouter.json";
    }

    @Override
    String providerJson() {
        return """
                {"type": "openrouter", "network_config": {"base_url": "%s", "extra_headers": {
                  "X-Relay-Test": "contract", "HTTP-Referer": "https://relay.example", "X-Title": "Relay"}}}""";
    }

    @Override
    String model() {
        return "openai/gpt-4o-mini";
    }

    @Override
    String expectedUrl() {
        return "/api/v1/chat/completions";
    }

    @Override
    Map<String, String> expectedHeaders() {
        return Map.of("Authorization", "Bearer " + KEY, "HTTP-Referer", "https://relay.example", "X-Title", "Relay");
    }
}
