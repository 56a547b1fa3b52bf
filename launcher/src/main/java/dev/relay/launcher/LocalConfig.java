package dev.relay.launcher;

import dev.relay.config.IngressSettings;
import dev.relay.config.KafkaSettings;
import dev.relay.config.RelayConfig;
import java.nio.file.Path;

/** The user's config with the kafka section pointed at the embedded broker and registry. */
final class LocalConfig {

    private LocalConfig() {}

    static RelayConfig pointAt(
            RelayConfig c, String bootstrap, String registryUrl, Path stateDir, Integer ingressPort) {
        return pointAt(c, bootstrap, registryUrl, stateDir, ingressPort, (short) 1);
    }

    /** As above, for a local cluster whose topics (and Streams' own) get {@code replicationFactor} copies. */
    static RelayConfig pointAt(
            RelayConfig c,
            String bootstrap,
            String registryUrl,
            Path stateDir,
            Integer ingressPort,
            short replicationFactor) {
        KafkaSettings k = c.kafka();
        KafkaSettings local = new KafkaSettings(
                bootstrap,
                registryUrl,
                k.topicPrefix(),
                k.maxHops(),
                k.partitions(),
                replicationFactor,
                k.applicationId(),
                k.processingGuarantee(),
                k.commitInterval(),
                k.pollInterval(),
                k.streamThreads(),
                stateDir,
                k.properties(),
                k.fastFallback());
        IngressSettings i = c.ingress();
        IngressSettings ingress = ingressPort == null ? i : i.withPort(ingressPort);
        return new RelayConfig(
                c.providers(),
                c.plugins(),
                local,
                ingress,
                c.circuitBreaker(),
                c.webhooks(),
                c.fallbackPolicy(),
                c.metricsPort(),
                c.logsStore(),
                c.otel(),
                c.warnings());
    }
}
