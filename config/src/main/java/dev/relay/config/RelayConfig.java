package dev.relay.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole config file, typed and validated: Bifrost's {@code providers} and {@code plugins}, and Relay's own
 * sections beside them. {@code fallbackPolicy} stays a {@link Node}: the processor validates it against its failure
 * classes. {@code warnings} are problems that do not stop start-up (an unset key variable).
 */
public record RelayConfig(
        Map<String, ProviderConfig> providers,
        List<PluginConfig> plugins,
        KafkaSettings kafka,
        IngressSettings ingress,
        CircuitBreakerSettings circuitBreaker,
        WebhookSettings webhooks,
        Node fallbackPolicy,
        int metricsPort,
        LogsStoreSettings logsStore,
        OtelSettings otel,
        List<String> warnings) {

    public Optional<ProviderConfig> provider(String name) {
        return Optional.ofNullable(providers.get(name));
    }

    public Optional<PluginConfig> plugin(String name) {
        return plugins.stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
