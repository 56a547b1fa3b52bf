package dev.relay.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.batch.BatchWebhooks;
import dev.relay.ingress.batch.Batches;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.FileContents;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.kafka.KafkaCatalog;
import dev.relay.ingress.kafka.KafkaFileContents;
import dev.relay.ingress.kafka.KafkaJobPublisher;
import dev.relay.ingress.kafka.KafkaStreamSource;
import dev.relay.ingress.kafka.ResultStore;
import dev.relay.ingress.kafka.RocksResultStore;
import dev.relay.ingress.kafka.StreamSource;
import dev.relay.ingress.kafka.ViewConsumer;
import dev.relay.ingress.webhook.TargetGuard;
import dev.relay.ingress.webhook.WebhookDispatcher;
import dev.relay.ingress.webhook.WebhookSender;
import dev.relay.ingress.webhook.WebhookSigner;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** The real backend: producer, view consumer and webhook dispatcher against {@code config.kafka()}. */
public final class KafkaBackend implements IngressBackend {

    private final KafkaJobPublisher publisher;
    private final JobView view;
    private final ViewConsumer viewConsumer;
    private final WebhookDispatcher webhooks;
    private final Admin admin;
    private final SchemaRegistryClient registry;
    private final ResultStore results;
    private final KafkaCatalog catalog;
    private final KafkaFileContents files;
    private final WebhookSender sender;
    private final Optional<String> batchUrl;
    private final ObjectMapper json;
    private final Clock clock;
    private volatile BatchWebhooks batchWebhooks;
    private final KafkaStreamSource streams;

    private KafkaBackend(
            KafkaJobPublisher publisher,
            JobView view,
            ViewConsumer viewConsumer,
            WebhookDispatcher webhooks,
            Admin admin,
            SchemaRegistryClient registry,
            ResultStore results,
            KafkaCatalog catalog,
            KafkaFileContents files,
            WebhookSender sender,
            Optional<String> batchUrl,
            ObjectMapper json,
            Clock clock,
            KafkaStreamSource streams) {
        this.streams = streams;
        this.publisher = publisher;
        this.sender = sender;
        this.batchUrl = batchUrl;
        this.json = json;
        this.clock = clock;
        this.catalog = catalog;
        this.files = files;
        this.view = view;
        this.results = results;
        this.viewConsumer = viewConsumer;
        this.webhooks = webhooks;
        this.admin = admin;
        this.registry = registry;
    }

    public static KafkaBackend start(RelayConfig config, ObjectMapper json, Clock clock) {
        var kafka = config.kafka();
        Topics topics = new Topics(kafka.topicPrefix(), kafka.maxHops());
        Map<String, Object> props = new HashMap<>(kafka.properties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        SchemaRegistryClient registry = SchemaRegistryClient.create(kafka.schemaRegistryUrl());
        RelaySerdes serdes = RelaySerdes.create(registry);
        Duration window = config.ingress().idempotencyWindow();
        Admin admin = Admin.create(props);
        ResultStore results;
        try {
            // results on local disk, beside the processor's state: the heap does not grow with the results topic,
            // and a restart reads only the results written since the last one
            results = RocksResultStore.open(
                    kafka.stateDir(), clusterId(admin, kafka.bootstrapServers()) + "/" + topics.results());
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
        JobView view = new JobView(clock, window, results);
        KafkaJobPublisher publisher = null;
        ViewConsumer viewConsumer = null;
        WebhookDispatcher webhooks = null;
        KafkaCatalog catalog = null;
        KafkaFileContents files = null;
        KafkaStreamSource streams = null;
        try {
            files = new KafkaFileContents(props, topics.files());
            catalog = new KafkaCatalog(props, topics.batches(), json);
            if (!catalog.start(Duration.ofMinutes(5))) {
                throw new IllegalStateException("the batch catalog did not catch up in 5 minutes");
            }
            publisher = new KafkaJobPublisher(props, serdes.job(), topics, Duration.ofSeconds(30));
            viewConsumer = new ViewConsumer(props, view, results, serdes, topics, clock, window);
            if (!viewConsumer.start(Duration.ofMinutes(5))) {
                throw new IllegalStateException("the job view did not catch up with the results topic in 5 minutes");
            }
            var ws = config.webhooks();
            ResultRenderer renderer = new ResultRenderer(json);
            WebhookSender sender = new WebhookSender(
                    ws, new WebhookSigner(ws.secret()), new TargetGuard(ws.allowPrivateTargets()), clock);
            webhooks = new WebhookDispatcher(
                    props,
                    serdes.result(),
                    topics,
                    sender,
                    r -> view.state(r.getJobId()).map(renderer::job).orElseGet(json::createObjectNode),
                    id -> view.state(id).flatMap(JobView.JobState::webhookJson),
                    json,
                    clock);
            webhooks.start();
            streams = new KafkaStreamSource(
                    props, serdes.chunk(), topics.stream(), config.ingress().streamPartition());
            return new KafkaBackend(
                    publisher,
                    view,
                    viewConsumer,
                    webhooks,
                    admin,
                    registry,
                    results,
                    catalog,
                    files,
                    sender,
                    ws.batchUrl(),
                    json,
                    clock,
                    streams);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeAll(streams, webhooks, viewConsumer, publisher, catalog, files, admin, results);
            throw new IllegalStateException("interrupted while starting", e);
        } catch (RuntimeException e) {
            closeAll(streams, webhooks, viewConsumer, publisher, catalog, files, admin, results);
            throw e;
        }
    }

    private static String clusterId(Admin admin, String bootstrap) {
        try {
            return admin.describeCluster().clusterId().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the broker for its cluster id", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(
                    "cannot reach the Kafka cluster at " + bootstrap + ": " + e.getMessage(), e);
        }
    }

    @Override
    public JobPublisher publisher() {
        return publisher;
    }

    @Override
    public JobView view() {
        return view;
    }

    @Override
    public void watchBatches(Batches batches) {
        batchWebhooks = new BatchWebhooks(catalog, batches, sender, batchUrl, webhooks::owns, json, clock).start();
    }

    @Override
    public Catalog catalog() {
        return catalog;
    }

    @Override
    public FileContents files() {
        return files;
    }

    @Override
    public StreamSource streams() {
        return streams;
    }

    @Override
    public Map<String, Boolean> readiness() {
        Map<String, Boolean> checks = new LinkedHashMap<>();
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000))
                    .nodes()
                    .get(3, TimeUnit.SECONDS);
            checks.put("broker", true);
        } catch (Exception e) {
            checks.put("broker", false);
        }
        try {
            registry.subjects();
            checks.put("registry", true);
        } catch (RuntimeException e) {
            checks.put("registry", false);
        }
        checks.put("results_view", viewConsumer.caughtUp());
        checks.put("webhooks", webhooks.running());
        checks.put("batch_catalog", catalog.caughtUp());
        return checks;
    }

    @Override
    public void bindMetrics(MeterRegistry m) {
        Gauge.builder("relay.ingress.results.lag", viewConsumer, ViewConsumer::resultsLag)
                .description("records of the results topic not yet read by this instance")
                .register(m);
        Gauge.builder("relay.ingress.results.catch_up_records", viewConsumer, ViewConsumer::catchUpRecords)
                .description("offsets of the results topic read at start: what the stored view lacked")
                .register(m);
        FunctionCounter.builder("relay.ingress.view.undecodable", viewConsumer, ViewConsumer::undecodable)
                .register(m);
        FunctionCounter.builder("relay.ingress.webhooks.delivered", webhooks, WebhookDispatcher::delivered)
                .register(m);
        FunctionCounter.builder("relay.ingress.webhooks.gave_up", webhooks, WebhookDispatcher::gaveUp)
                .description("webhooks given up after webhooks.retry_for")
                .register(m);
        FunctionCounter.builder("relay.ingress.webhooks.refused", webhooks, WebhookDispatcher::refused)
                .description("webhooks refused by the SSRF guard")
                .register(m);
        Gauge.builder("relay.ingress.webhooks.pending", webhooks, WebhookDispatcher::pending)
                .register(m);
        FunctionCounter.builder("relay.ingress.stream.chunks.read", streams, KafkaStreamSource::read)
                .description("chunk records read from this instance's stream partition")
                .register(m);
        Gauge.builder("relay.ingress.results.stored", results, ResultStore::size)
                .description("job results in this instance's on-disk store (an estimate)")
                .register(m);
    }

    @Override
    public void close() {
        // the result store last: the consumers write to it until they are closed
        closeAll(streams, batchWebhooks, webhooks, viewConsumer, publisher, catalog, files, admin, results);
    }

    private static void closeAll(AutoCloseable... all) {
        for (AutoCloseable c : all) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing best-effort: the process is stopping
                }
            }
        }
    }
}
