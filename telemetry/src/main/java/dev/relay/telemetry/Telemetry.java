package dev.relay.telemetry;

import dev.relay.config.OtelSettings;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * OpenTelemetry for one Relay process: a tracer, and the W3C trace context ({@code traceparent}, {@code tracestate})
 * read from and written to HTTP and Kafka record headers. {@link #NONE} (the {@code otel} section off, the default) is
 * OpenTelemetry's no-op: no span is recorded, nothing is exported and no header is written. Enabled, spans go in
 * batches over OTLP/HTTP to {@code otel.endpoint}. Closing flushes what is pending.
 */
public final class Telemetry implements AutoCloseable {

    /** Tracing off: the no-op tracer, no propagation. */
    public static final Telemetry NONE = new Telemetry(OpenTelemetry.noop(), null);

    private static final String SCOPE = "dev.relay";
    private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();

    private static final TextMapGetter<Headers> KAFKA_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            headers.forEach(h -> keys.add(h.key()));
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            Header h = headers == null ? null : headers.lastHeader(key);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    };

    private static final TextMapSetter<Headers> KAFKA_SETTER = (headers, key, value) -> {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    };

    private final OpenTelemetry otel;
    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Telemetry(OpenTelemetry otel, SdkTracerProvider provider) {
        this.otel = otel;
        this.provider = provider;
        this.tracer = otel.getTracer(SCOPE);
    }

    /** From the {@code otel} section; {@code role} names the service when {@code service_name} is not set. */
    public static Telemetry from(OtelSettings settings, String role) {
        if (!settings.enabled()) {
            return NONE;
        }
        String endpoint = settings.endpoint().endsWith("/v1/traces")
                ? settings.endpoint()
                : settings.endpoint().replaceAll("/+$", "") + "/v1/traces";
        SpanExporter exporter =
                OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build();
        String name = settings.serviceName().isBlank() ? role : settings.serviceName();
        return create(BatchSpanProcessor.builder(exporter).build(), name);
    }

    /** Every span handed to {@code exporter} as it ends (tests read an in-memory exporter). */
    public static Telemetry exportingTo(SpanExporter exporter, String serviceName) {
        return create(SimpleSpanProcessor.create(exporter), serviceName);
    }

    private static Telemetry create(SpanProcessor processor, String serviceName) {
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault()
                        .merge(Resource.create(Attributes.of(
                                io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), serviceName))))
                .addSpanProcessor(processor)
                .build();
        OpenTelemetry sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3C))
                .build();
        return new Telemetry(sdk, provider);
    }

    /** False for {@link #NONE}: callers skip the work that only feeds spans. */
    public boolean enabled() {
        return provider != null;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** The trace context in a Kafka record's headers; {@link Context#root()} when there is none (or tracing is off). */
    public Context extract(Headers headers) {
        if (!enabled() || headers == null) {
            return Context.root();
        }
        return W3C.extract(Context.root(), headers, KAFKA_GETTER);
    }

    /** The caller's trace context in HTTP request headers ({@code header} looks one up by name). */
    public Context extractHttp(Function<String, String> header) {
        if (!enabled()) {
            return Context.root();
        }
        return W3C.extract(Context.root(), header, new TextMapGetter<>() {
            @Override
            public Iterable<String> keys(Function<String, String> carrier) {
                return W3C.fields();
            }

            @Override
            public String get(Function<String, String> carrier, String key) {
                return carrier == null ? null : carrier.apply(key);
            }
        });
    }

    /** Writes {@code context}'s {@code traceparent} (and {@code tracestate}) into Kafka record headers. */
    public void inject(Context context, Headers headers) {
        if (enabled()) {
            W3C.inject(context, headers, KAFKA_SETTER);
        }
    }

    /**
     * New Kafka record headers carrying the current context's {@code traceparent}; empty when no span is current
     * (always so with tracing off), so a publisher can call it on every record.
     */
    public static Headers currentHeaders() {
        RecordHeaders headers = new RecordHeaders();
        Context current = Context.current();
        if (Span.fromContext(current).getSpanContext().isValid()) {
            W3C.inject(current, headers, KAFKA_SETTER);
        }
        return headers;
    }

    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(5, TimeUnit.SECONDS);
        }
    }
}
