package dev.relay.processor.provider.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.anthropic.AnthropicDialect;
import dev.relay.processor.provider.azure.AzureDialect;
import dev.relay.processor.provider.compat.CompatDialect;
import dev.relay.processor.provider.gemini.GeminiDialect;
import dev.relay.processor.provider.mock.MockProviderClient;
import dev.relay.processor.provider.openai.OpenAiDialect;
import dev.relay.processor.provider.openrouter.OpenRouterDialect;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProviderClientsTest {

    static ProviderConfig provider(String name, String json) {
        return new ConfigLoader(n -> Optional.empty())
                .parse("{\"providers\": {\"" + name + "\": " + json + "}}", "test")
                .providers()
                .get(name);
    }

    @Test
    void shouldPickTheDialectByType() {
        assertThat(ProviderClients.dialect(provider("openai", "{}"))).isInstanceOf(OpenAiDialect.class);
        assertThat(ProviderClients.dialect(provider("anthropic", "{}"))).isInstanceOf(AnthropicDialect.class);
        assertThat(ProviderClients.dialect(provider("gemini", "{}"))).isInstanceOf(GeminiDialect.class);
        assertThat(ProviderClients.dialect(provider("openrouter", "{}"))).isInstanceOf(OpenRouterDialect.class);
        assertThat(ProviderClients.dialect(
                        provider("groq", "{\"network_config\": {\"base_url\": \"https://api.groq.com/openai/v1\"}}")))
                .isInstanceOf(CompatDialect.class);
        assertThat(ProviderClients.dialect(provider(
                        "eu",
                        "{\"type\": \"azure\", \"network_config\": "
                                + "{\"base_url\": \"https://r.openai.azure.com\"}}")))
                .isInstanceOf(AzureDialect.class);
        try (ProviderClient mock = ProviderClients.create(provider("mock", "{}"))) {
            assertThat(mock).isInstanceOf(MockProviderClient.class);
            assertThat(mock.name()).isEqualTo("mock");
        }
    }

    @Test
    void shouldUseDefaultBaseUrlsAndAzureKeyEndpoint() {
        assertThat(ProviderClients.baseUrl(provider("openai", "{}"), new OpenAiDialect()))
                .isEqualTo(URI.create("https://api.openai.com"));
        ProviderConfig azure = provider(
                "azure",
                "{\"keys\": [{\"name\": \"k\", \"value\": \"v\", "
                        + "\"azure_key_config\": {\"endpoint\": \"https://r.openai.azure.com\"}}]}");
        assertThat(ProviderClients.baseUrl(azure, ProviderClients.dialect(azure)))
                .isEqualTo(URI.create("https://r.openai.azure.com"));
        ProviderConfig noEndpoint = provider("azure", "{\"keys\": [{\"name\": \"k\", \"value\": \"v\"}]}");
        assertThatThrownBy(() -> ProviderClients.create(noEndpoint))
                .hasMessageContaining("providers.azure")
                .hasMessageContaining("base_url");
    }
}
