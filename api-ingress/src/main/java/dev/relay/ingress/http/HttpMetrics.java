package dev.relay.ingress.http;

import io.javalin.http.Context;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Requests by route template and status, with latency histograms (for p50/p99 in Prometheus). */
public final class HttpMetrics {

    private static final String START = "relay.start";
    private final MeterRegistry registry;

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void before(Context ctx) {
        ctx.attribute(START, System.nanoTime());
    }

    public void after(Context ctx) {
        Long start = ctx.attribute(START);
        if (start == null) {
            return;
        }
        String route = ctx.endpointHandlerPath();
        if (route == null || route.isEmpty() || route.equals("*")) {
            route = "unmatched";
        }
        Timer.builder("relay.ingress.http.requests")
                .description("HTTP requests by route, method and status")
                .tag("route", route)
                .tag("method", ctx.method().name())
                .tag("status", Integer.toString(ctx.statusCode()))
                .publishPercentileHistogram()
                .register(registry)
                .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
