package dev.relay.ingress.http;

import dev.relay.telemetry.GenAi;
import dev.relay.telemetry.Telemetry;
import io.javalin.http.Context;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;

/**
 * The ingress request span of a job's trace: one SERVER span per {@code POST /v1/*}, the child of the caller's own
 * {@code traceparent} when it sent one, current while the handler runs, so the job records published meanwhile carry
 * it in their Kafka headers. Nothing happens with tracing off.
 */
public final class RequestTracing {

    private static final String SPAN = "relay.trace.span";
    private static final String SCOPE = "relay.trace.scope";

    private final Telemetry telemetry;

    public RequestTracing(Telemetry telemetry) {
        this.telemetry = telemetry;
    }

    public void before(Context ctx) {
        if (!telemetry.enabled() || !ctx.method().name().equals("POST")) {
            return;
        }
        Span span = telemetry
                .tracer()
                .spanBuilder("POST " + ctx.path())
                .setParent(telemetry.extractHttp(ctx::header))
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(AttributeKey.stringKey("http.request.method"), "POST")
                .setAttribute(AttributeKey.stringKey("url.path"), ctx.path())
                .startSpan();
        ctx.attribute(SPAN, span);
        ctx.attribute(SCOPE, span.makeCurrent());
    }

    public void after(Context ctx) {
        Span span = ctx.attribute(SPAN);
        if (span == null) {
            return;
        }
        int status = ctx.statusCode();
        span.setAttribute(GenAi.HTTP_STATUS, (long) status);
        String jobId = ctx.res().getHeader("x-relay-job-id");
        if (jobId != null) {
            span.setAttribute(GenAi.JOB_ID, jobId);
        }
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        Scope scope = ctx.attribute(SCOPE);
        if (scope != null) {
            scope.close();
        }
        span.end();
    }
}
