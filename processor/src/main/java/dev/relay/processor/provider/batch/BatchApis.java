package dev.relay.processor.provider.batch;

import dev.relay.config.ProviderConfig;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.Dialect;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** Builds a provider's {@link BatchApi} by its type: {@code openai} or {@code anthropic}. */
public final class BatchApis {

    /** Uploads and result files can be large: the batch calls get at least this long. */
    static final Duration MIN_TIMEOUT = Duration.ofMinutes(2);

    private BatchApis() {}

    /** The provider's batch API, or empty when its type has none. */
    public static Optional<BatchApi> create(ProviderConfig config) {
        if (!config.type().equals("openai") && !config.type().equals("anthropic")) {
            return Optional.empty();
        }
        Dialect dialect = ProviderClients.dialect(config);
        URI base = config.network().baseUrl().orElse(URI.create(dialect.defaultBaseUrl()));
        Duration timeout = config.network().requestTimeout().compareTo(MIN_TIMEOUT) > 0
                ? config.network().requestTimeout()
                : MIN_TIMEOUT;
        BatchHttp http = new BatchHttp(
                config.name(), base, dialect, timeout, config.network().extraHeaders());
        return Optional.of(config.type().equals("openai") ? new OpenAiBatchApi(http) : new AnthropicBatchApi(http));
    }
}
