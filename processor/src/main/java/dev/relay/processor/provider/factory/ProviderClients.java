package dev.relay.processor.provider.factory;

import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.anthropic.AnthropicDialect;
import dev.relay.processor.provider.azure.AzureDialect;
import dev.relay.processor.provider.compat.CompatDialect;
import dev.relay.processor.provider.gemini.GeminiDialect;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.HttpProviderClient;
import dev.relay.processor.provider.http.HttpTransport;
import dev.relay.processor.provider.http.RelayVersion;
import dev.relay.processor.provider.mock.MockProviderClient;
import dev.relay.processor.provider.openai.OpenAiDialect;
import dev.relay.processor.provider.openrouter.OpenRouterDialect;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;

/** Builds the {@link ProviderClient} for a configured provider, by {@link ProviderConfig#type()}. */
public final class ProviderClients {

    private ProviderClients() {}

    public static ProviderClient create(ProviderConfig config) {
        return create(config, HttpTransport.Settings.defaults(), Clock.systemUTC());
    }

    /**
     * Builds the client. Each HTTP provider gets its own {@link HttpTransport} (closed with the client). The option
     * {@code max_streams_per_connection} overrides {@code settings.maxStreamsPerClient()}.
     */
    public static ProviderClient create(ProviderConfig config, HttpTransport.Settings settings, Clock clock) {
        if (config.type().equals("mock")) {
            return new MockProviderClient(config, clock);
        }
        Dialect dialect = dialect(config);
        URI base = baseUrl(config, dialect);
        String streams = config.options().get("max_streams_per_connection");
        HttpTransport.Settings s = streams == null
                ? settings
                : new HttpTransport.Settings(
                        Integer.parseInt(streams), settings.connectTimeout(), settings.sslContext());
        HttpClient.Version version =
                "https".equals(base.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
        return new HttpProviderClient(
                config.name(),
                dialect,
                base,
                config.network(),
                new HttpTransport(s, version),
                RelayVersion.userAgent(),
                clock);
    }

    /** The wire format of an HTTP provider (public for benchmarks and tests). */
    public static Dialect dialect(ProviderConfig config) {
        return switch (config.type()) {
            case "openai" -> new OpenAiDialect();
            case "anthropic" -> new AnthropicDialect(config.options());
            case "gemini" -> new GeminiDialect();
            case "azure" -> new AzureDialect(config);
            case "openrouter" -> new OpenRouterDialect();
            case "openai-compatible" ->
                new CompatDialect(config.network()
                        .baseUrl()
                        .orElseThrow(() -> new IllegalArgumentException("providers." + config.name()
                                + ".network_config.base_url is required for an openai-compatible provider")));
            default ->
                throw new IllegalArgumentException(
                        "provider " + config.name() + " has type " + config.type() + ", which has no HTTP dialect");
        };
    }

    /** {@code network_config.base_url}, else (azure) a key's {@code azure_key_config.endpoint}, else the default. */
    static URI baseUrl(ProviderConfig config, Dialect dialect) {
        if (config.network().baseUrl().isPresent()) {
            return config.network().baseUrl().get();
        }
        if (config.type().equals("azure")) {
            for (KeyConfig k : config.keys()) {
                String endpoint = k.extra().get("azure_key_config.endpoint");
                if (endpoint != null) {
                    return URI.create(endpoint);
                }
            }
            throw new IllegalArgumentException("providers." + config.name()
                    + ": an azure provider needs network_config.base_url or keys[].azure_key_config.endpoint");
        }
        return URI.create(dialect.defaultBaseUrl());
    }
}
