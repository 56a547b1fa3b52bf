package dev.relay.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.batch.BatchHandler;
import dev.relay.ingress.batch.BatchIntake;
import dev.relay.ingress.batch.BatchParser;
import dev.relay.ingress.batch.Batches;
import dev.relay.ingress.batch.FilesHandler;
import dev.relay.ingress.dashboard.Dashboard;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.Auth;
import dev.relay.ingress.http.BodyReader;
import dev.relay.ingress.http.ChainParser;
import dev.relay.ingress.http.ChatHandler;
import dev.relay.ingress.http.ErrorMapper;
import dev.relay.ingress.http.HttpMetrics;
import dev.relay.ingress.http.JobFactory;
import dev.relay.ingress.http.JobSubmitter;
import dev.relay.ingress.http.JobsHandler;
import dev.relay.ingress.http.OpsHandler;
import dev.relay.ingress.http.RequestTracing;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.http.ServerErrors;
import dev.relay.ingress.http.StreamHandler;
import dev.relay.ingress.http.Timeouts;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.logstore.LogStore;
import dev.relay.ingress.webhook.TargetGuard;
import dev.relay.schemas.Topics;
import dev.relay.telemetry.Telemetry;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingress: an embedded Javalin (Jetty, virtual threads) server in front of Kafka. It validates, publishes and
 * answers; it never calls a provider. {@link #start(RelayConfig)} connects to {@code config.kafka()}.
 */
public final class RelayIngress implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RelayIngress.class);
    private final Javalin app;
    private final IngressBackend backend;
    private final LogStore logStore;
    private final Dashboard dashboard;
    private final Telemetry telemetry;

    private RelayIngress(
            Javalin app, IngressBackend backend, LogStore logStore, Dashboard dashboard, Telemetry telemetry) {
        this.app = app;
        this.backend = backend;
        this.logStore = logStore;
        this.dashboard = dashboard;
        this.telemetry = telemetry;
    }

    public static RelayIngress start(RelayConfig config) {
        return start(config, Telemetry.from(config.otel(), "relay-ingress"));
    }

    /** With its traces going to {@code telemetry} (tests read them from an in-memory exporter). */
    public static RelayIngress start(RelayConfig config, Telemetry telemetry) {
        ObjectMapper json = new ObjectMapper();
        Clock clock = Clock.systemUTC();
        IngressBackend backend = KafkaBackend.start(config, json, clock);
        LogStore store = null;
        try {
            store = config.logsStore().enabled() ? LogStore.start(config, clock) : null;
            return start(config, backend, clock, store, telemetry);
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            backend.close();
            throw e;
        }
    }

    /** Starts the HTTP server on a given backend (the Kafka one, or a test's). Closing the ingress closes it. */
    public static RelayIngress start(RelayConfig config, IngressBackend backend, Clock clock) {
        return start(config, backend, clock, null);
    }

    /** With a log store, the dashboard is served at {@code /}; closing the ingress closes the store too. */
    public static RelayIngress start(RelayConfig config, IngressBackend backend, Clock clock, LogStore logStore) {
        return start(config, backend, clock, logStore, Telemetry.from(config.otel(), "relay-ingress"));
    }

    /** As above; closing the ingress closes {@code telemetry} (flushing its last spans). */
    public static RelayIngress start(
            RelayConfig config, IngressBackend backend, Clock clock, LogStore logStore, Telemetry telemetry) {
        ObjectMapper json = new ObjectMapper();
        Topics topics = new Topics(config.kafka().topicPrefix(), config.kafka().maxHops());
        var ingress = config.ingress();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ErrorMapper errors = new ErrorMapper(json);
        BodyReader bodies = new BodyReader(json, ingress.maxBodyBytes());
        JobFactory factory = new JobFactory(
                new ChainParser(Set.copyOf(config.providers().keySet()), topics.maxChainLength()),
                new TargetGuard(config.webhooks().allowPrivateTargets()),
                clock);
        JobPublisher publisher = backend.publisher();
        JobSubmitter submitter =
                new JobSubmitter(factory, publisher, backend.view(), clock, ingress.idempotencyWindow(), telemetry);
        RequestTracing tracing = new RequestTracing(telemetry);
        ResultRenderer renderer = new ResultRenderer(json);
        Timeouts timeouts = new Timeouts(ingress.syncTimeout());
        StreamHandler streams = new StreamHandler(
                submitter, backend.view(), backend.streams(), renderer, errors, json, ingress, timeouts);
        ChatHandler chat = new ChatHandler(bodies, submitter, renderer, timeouts, errors, json, streams);
        JobsHandler jobs = new JobsHandler(bodies, submitter, backend.view(), renderer, json, streams);
        Batches batchState = new Batches(backend.catalog(), backend.view(), renderer, json, clock);
        BatchIntake intake = new BatchIntake(
                new BatchParser(bodies, factory),
                publisher,
                backend.view(),
                backend.catalog(),
                backend.files(),
                new TargetGuard(config.webhooks().allowPrivateTargets()),
                json,
                clock);
        BatchHandler batches =
                new BatchHandler(bodies, intake, backend.view(), backend.catalog(), batchState, renderer, json);
        FilesHandler files = new FilesHandler(backend.catalog(), backend.files(), batchState, bodies, json, clock);
        OpsHandler ops = new OpsHandler(backend::readiness, metrics, json);
        Auth auth = new Auth(ingress.apiKeys());
        HttpMetrics httpMetrics = new HttpMetrics(metrics);

        Gauge.builder("relay.ingress.sync.waiting", chat, ChatHandler::waiting)
                .description("sync calls waiting for their result")
                .register(metrics);
        Gauge.builder("relay.ingress.streams.open", streams, StreamHandler::open)
                .description("streaming callers connected")
                .register(metrics);
        backend.bindMetrics(metrics);

        Javalin app = Javalin.create(cfg -> {
            cfg.useVirtualThreads = true;
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            // BodyReader enforces ingress.max_body_bytes itself (also on chunked bodies); this is only a backstop.
            cfg.http.maxRequestSize = Math.max(ingress.maxBodyBytes() * 100, ingress.maxBodyBytes());
            // errors Jetty raises before the router (431, 414, a bad path) get OpenAI's error body too
            ServerErrors serverErrors = new ServerErrors(errors);
            cfg.jetty.modifyServer(server -> server.setErrorHandler(serverErrors));
            cfg.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(serverErrors));
            // file uploads are parsed by batch.MultipartUpload (parts above 1 MB spooled to disk), not by Javalin
        });
        app.before(httpMetrics::before);
        app.before("/v1/*", tracing::before);
        app.before("/v1/*", auth::check);
        app.after(httpMetrics::after);
        app.after("/v1/*", tracing::after);
        app.exception(Exception.class, errors::handle);
        app.error(404, ctx -> {
            if (ctx.result() == null
                    || ctx.result().isEmpty()
                    || ctx.result().startsWith("Endpoint")
                    || ctx.result().equals("Not Found")) {
                errors.handle(
                        new ApiException(
                                404,
                                "invalid_request_error",
                                null,
                                "unknown_url",
                                "Unknown request URL: " + ctx.method() + " " + ctx.path()),
                        ctx);
            }
        });
        app.error(
                405,
                ctx -> errors.handle(
                        new ApiException(
                                405,
                                "invalid_request_error",
                                null,
                                "method_not_allowed",
                                ctx.method() + " is not allowed on " + ctx.path()),
                        ctx));
        app.post("/v1/chat/completions", chat::handle);
        app.post("/v1/jobs", jobs::submit);
        app.get("/v1/jobs/{id}", jobs::get);
        app.get("/v1/jobs/{id}/stream", streams::resume);
        app.post("/v1/files", files::upload);
        app.get("/v1/files", files::list);
        app.get("/v1/files/{id}", files::get);
        app.delete("/v1/files/{id}", files::delete);
        app.get("/v1/files/{id}/content", files::content);
        app.post("/v1/batches", batches::create);
        app.get("/v1/batches", batches::list);
        app.get("/v1/batches/{id}", batches::get);
        app.post("/v1/batches/{id}/cancel", batches::cancel);
        app.get("/v1/batches/{id}/output", batches::output);
        app.get("/health/live", ops::live);
        app.get("/health/ready", ops::ready);
        app.get("/metrics", ops::metrics);
        app.get("/openapi.json", ops::openApi);
        Dashboard dashboard =
                logStore == null ? null : Dashboard.register(app, config, logStore, backend.view(), clock);
        app.start(ingress.host(), ingress.port());
        backend.watchBatches(batchState);
        LOG.info("relay ingress listening on {}:{}", ingress.host(), app.port());
        return new RelayIngress(app, backend, logStore, dashboard, telemetry);
    }

    public int port() {
        return app.port();
    }

    /** The log store behind the dashboard, when it is enabled. */
    public java.util.Optional<LogStore> logStore() {
        return java.util.Optional.ofNullable(logStore);
    }

    @Override
    public void close() {
        app.stop();
        telemetry.close();
        if (dashboard != null) {
            dashboard.close();
        }
        if (logStore != null) {
            logStore.close();
        }
        backend.close();
    }
}
