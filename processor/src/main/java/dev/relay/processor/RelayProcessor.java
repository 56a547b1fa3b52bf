package dev.relay.processor;

import dev.relay.config.KafkaSettings;
import dev.relay.config.ProviderConfig;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.fault.FaultInjectingProviderClient;
import dev.relay.processor.fault.FaultRules;
import dev.relay.processor.metrics.MetricsServer;
import dev.relay.processor.metrics.ProcessorMetrics;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.provider.batch.BatchApis;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.HttpProviderClient;
import dev.relay.processor.routing.CallPolicy;
import dev.relay.processor.routing.CircuitBreakers;
import dev.relay.processor.status.StatusPublisher;
import dev.relay.processor.stream.KafkaStreamTaps;
import dev.relay.processor.topology.EarlyCalls;
import dev.relay.processor.topology.FallbackServices;
import dev.relay.processor.topology.FallbackTopology;
import dev.relay.processor.topology.ProviderGate;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.telemetry.Telemetry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Relay processor: the fallback topology on Kafka Streams against {@code config.kafka()}, provider
 * clients (fault-injection rules in front), circuit breakers, and Prometheus metrics on {@code metrics.port}.
 */
public final class RelayProcessor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayProcessor.class);

    private final KafkaStreams streams;
    private final Map<String, ProviderClient> clients;
    private final ScheduledExecutorService timer;
    private final MetricsServer metricsServer;
    private final KafkaStreamsMetrics streamsMetrics;
    private final ProviderGate gate;
    private final StatusPublisher status;
    private final Telemetry telemetry;
    private final KafkaStreamTaps taps;

    private RelayProcessor(
            KafkaStreams streams,
            Map<String, ProviderClient> clients,
            ScheduledExecutorService timer,
            MetricsServer metricsServer,
            KafkaStreamsMetrics streamsMetrics,
            ProviderGate gate,
            StatusPublisher status,
            Telemetry telemetry,
            KafkaStreamTaps taps) {
        this.telemetry = telemetry;
        this.taps = taps;
        this.streams = streams;
        this.clients = clients;
        this.timer = timer;
        this.metricsServer = metricsServer;
        this.streamsMetrics = streamsMetrics;
        this.gate = gate;
        this.status = status;
    }

    /** Starts the processor with the real provider adapters; returns once Streams is starting. */
    public static RelayProcessor start(RelayConfig config) {
        return start(config, ProviderClients::create);
    }

    /** Starts the processor with the given adapter factory (benchmarks compare adapters with it). */
    public static RelayProcessor start(RelayConfig config, Function<ProviderConfig, ProviderClient> adapters) {
        return start(config, adapters, Telemetry.from(config.otel(), "relay-processor"));
    }

    /** With each job's attempts traced to {@code telemetry}; closing the processor closes it. */
    public static RelayProcessor start(RelayConfig config, Telemetry telemetry) {
        return start(config, ProviderClients::create, telemetry);
    }

    /** The batch APIs of the providers whose {@code batch.enabled} is set. */
    private static Map<String, BatchApi> batchApis(RelayConfig config) {
        Map<String, BatchApi> apis = new LinkedHashMap<>();
        config.providers().forEach((name, p) -> {
            if (p.batch().enabled()) {
                BatchApis.create(p).ifPresent(api -> apis.put(name, api));
            }
        });
        if (!apis.isEmpty()) {
            log.info("provider batch APIs for 24 h batch items: {}", apis.keySet());
        }
        return apis;
    }

    private static RelayProcessor start(
            RelayConfig config, Function<ProviderConfig, ProviderClient> adapters, Telemetry telemetry) {
        var kafka = config.kafka();
        Topics topics = new Topics(kafka.topicPrefix(), kafka.maxHops());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProcessorMetrics metrics = new ProcessorMetrics(registry);
        RandomGenerator random = RandomGenerator.of("L64X128MixRandom");
        FaultRules rules = FaultRules.from(config);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-fault-timer");
            t.setDaemon(true);
            return t;
        });
        Map<String, ProviderClient> clients = new LinkedHashMap<>();
        config.providers().forEach((name, p) -> {
            ProviderClient adapter = adapters.apply(p);
            if (adapter instanceof HttpProviderClient http) {
                FunctionCounter.builder("relay.stream.malformed.events", http, HttpProviderClient::malformedEvents)
                        .description(
                                "events of streamed answers that were not valid JSON (skipped; the stream goes on)")
                        .tags("provider", name, "dialect", p.type())
                        .register(registry);
            }
            clients.put(
                    name,
                    rules.isEmpty()
                            ? adapter
                            : new FaultInjectingProviderClient(
                                    adapter, rules, RandomGenerator.of("L64X128MixRandom"), timer));
        });
        if (!rules.isEmpty()) {
            log.info("fault-injection rules active: {}", rules);
        }
        CircuitBreakers breakers = new CircuitBreakers(config.circuitBreaker(), registry);
        CallPolicy policy = new CallPolicy(RetryPolicy.from(config.fallbackPolicy()), breakers, random);
        LocalAssignment assignment =
                kafka.fastFallback() ? new LocalAssignment(topics, hopPartitions(kafka, topics)) : null;
        EarlyCalls early = assignment == null ? EarlyCalls.disabled() : new EarlyCalls(true, assignment);
        ProviderGate gate = new ProviderGate(config.providers());
        FunctionCounter.builder("relay.fast_fallback.started", early, EarlyCalls::started)
                .description("fallback calls started before their hop record committed")
                .register(registry);
        FunctionCounter.builder("relay.fast_fallback.adopted", early, EarlyCalls::adopted)
                .description("of those, calls the next hop adopted (the rest were repeated by the hop's owner)")
                .register(registry);
        config.providers()
                .keySet()
                .forEach(p -> metrics.providerGauges(p, gate, g -> g.inFlight(p), g -> g.backlog(p)));
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(kafka.schemaRegistryUrl()));
        KafkaStreamTaps taps = new KafkaStreamTaps(
                clientProps(kafka), serdes.chunk(), topics.stream(), KafkaStreamTaps.DEFAULT_COALESCE_WINDOW);
        FallbackServices services = new FallbackServices(
                config.providers(),
                Map.copyOf(clients),
                policy,
                gate,
                metrics,
                FallbackServices.DEFAULT_PUNCTUATE_INTERVAL,
                FallbackServices.DEFAULT_BACKPRESSURE_WAIT,
                early,
                Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("relay-call-", 0).factory()),
                telemetry,
                taps,
                batchApis(config));
        FunctionCounter.builder("relay.stream.chunks.written", taps, KafkaStreamTaps::written)
                .description("chunk records written to the stream topic")
                .register(registry);
        Properties props = StreamsProperties.of(kafka, topics);
        KafkaStreams streams = new KafkaStreams(FallbackTopology.build(topics, serdes, services), props);
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            log.info("processor state {} -> {}", before, now);
            if (assignment != null && now == KafkaStreams.State.RUNNING) {
                assignment.refresh(streams);
            }
        });
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        MetricsServer server = MetricsServer.start(registry, config.metricsPort());
        log.info(
                "processor {} starting: {} hop topics from {}, {} providers, metrics on :{}/metrics",
                kafka.applicationId(),
                topics.maxHops() + 1,
                topics.jobs(),
                clients.size(),
                server.port());
        streams.start();
        StatusPublisher status = startStatus(config, topics, gate, breakers, registry, rules);
        return new RelayProcessor(streams, clients, timer, server, streamsMetrics, gate, status, telemetry, taps);
    }

    /** The per-provider snapshots on the status topic, for the dashboard. */
    private static StatusPublisher startStatus(
            RelayConfig config,
            Topics topics,
            ProviderGate gate,
            CircuitBreakers breakers,
            PrometheusMeterRegistry registry,
            FaultRules rules) {
        var kafka = config.kafka();
        Map<String, Object> props = new HashMap<>(kafka.properties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        Map<String, Integer> permits = new LinkedHashMap<>();
        config.providers().forEach((name, p) -> permits.put(name, p.concurrency()));
        String instance = StreamsProperties.instanceId(kafka.stateDir(), kafka.applicationId());
        return new StatusPublisher(
                        StatusPublisher.producer(props),
                        topics,
                        permits,
                        gate,
                        registry,
                        instance,
                        rules::hits,
                        java.time.Clock.systemUTC())
                .start();
    }

    /** The client settings (bootstrap, security) a plain producer or admin client of this processor uses. */
    private static Map<String, Object> clientProps(KafkaSettings kafka) {
        Map<String, Object> props = new HashMap<>();
        kafka.properties().forEach((k, v) -> {
            if (!k.contains(".") || k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl.")) {
                props.put(k, v);
            }
        });
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        return props;
    }

    /** Partition counts of the hop topics, for the fast fallback path; empty (path off) when they cannot be read. */
    private static Map<String, Integer> hopPartitions(KafkaSettings kafka, Topics topics) {
        Map<String, Object> props = clientProps(kafka);
        List<String> hops =
                IntStream.rangeClosed(1, topics.maxHops()).mapToObj(topics::hop).toList();
        try (var admin = Admin.create(props)) {
            Map<String, Integer> counts = new HashMap<>();
            admin.describeTopics(hops)
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .forEach((name, d) -> counts.put(name, d.partitions().size()));
            return counts;
        } catch (Exception e) {
            log.warn("fast fallback off: cannot read the hop topics' partitions ({})", e.toString());
            return Map.of();
        }
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until Streams is RUNNING; false if it did not get there in time. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(20);
        }
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    public int metricsPort() {
        return metricsServer.port();
    }

    /** Calls in flight right now against {@code provider}. */
    public int inFlight(String provider) {
        return gate.inFlight(provider);
    }

    @Override
    public void close() {
        status.close();
        streams.close(Duration.ofSeconds(30));
        telemetry.close();
        taps.close();
        streamsMetrics.close();
        clients.values().forEach(c -> {
            try {
                c.close();
            } catch (RuntimeException e) {
                log.warn("closing provider client {}: {}", c.name(), e.toString());
            }
        });
        timer.shutdownNow();
        metricsServer.close();
    }
}
