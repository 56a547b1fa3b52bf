package dev.relay.processor.provider;

import java.util.Map;

/** Azure: the deployment and api-version come from the key's {@code azure_key_config}. */
class AzureContractIT extends OpenAiShapedContractIT {

    @Override
    String fixtureFile() {
        return "azure.json";
    }

    @Override
    String providerJson() {
        return """
                {"type": "azure", "network_config": {"base_url": "%s",
                  "extra_headers": {"X-Relay-Test": "contract"}},
                 "keys": [{"name": "k1", "value": "unused-in-test",
                   "azure_key_config": {"api_version": "2024-10-21", "deployments": {"gpt-4o-mini": "prod-mini"}}}]}""";
    }

    @Override
    String model() {
        return "gpt-4o-mini";
    }

    @Override
    String expectedUrl() {
        return "/openai/deployments/prod-mini/chat/completions?api-version=2024-10-21";
    }

    @Override
    Map<String, String> expectedHeaders() {
        return Map.of("api-key", KEY);
    }
}
