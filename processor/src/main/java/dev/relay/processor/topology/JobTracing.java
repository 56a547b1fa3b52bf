package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.schemas.Decision;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;
import dev.relay.telemetry.GenAi;
import dev.relay.telemetry.Telemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A hop's part of a job's trace. The job's trace context arrives in its record's {@code traceparent} header (set by
 * the ingress, by a batch producer, or by the previous hop); a job that arrives on hop 0 without one gets a
 * {@code relay.job} root span here. Every attempt, skipped ones included, becomes one span under it, written when the
 * attempt's decision is known, with the attempt's own start and end times; every record the hop sends on carries the
 * context. One instance per hop processor, used on its stream thread only. With tracing off it keeps nothing.
 */
final class JobTracing {

    private final Telemetry telemetry;
    private final int hop;
    private final Map<String, Context> jobs = new HashMap<>();

    JobTracing(Telemetry telemetry, int hop) {
        this.telemetry = telemetry;
        this.hop = hop;
    }

    /** The job {@code key} arrived on this hop with {@code headers}. */
    void arrived(String key, Job job, Headers headers) {
        if (!telemetry.enabled()) {
            return;
        }
        Context parent = telemetry.extract(headers);
        if (!Span.fromContext(parent).getSpanContext().isValid() && hop == 0) {
            Span root = telemetry
                    .tracer()
                    .spanBuilder("relay.job")
                    .setNoParent()
                    .setSpanKind(SpanKind.CONSUMER)
                    .setAttribute(GenAi.JOB_ID, key)
                    .startSpan();
            root.end();
            parent = Context.root().with(root);
        }
        jobs.put(key, parent);
    }

    /** The job left this hop (result, next hop, or gone). */
    void left(String key) {
        if (telemetry.enabled()) {
            jobs.remove(key);
        }
    }

    /** The headers for a record about job {@code key}: its trace context, or none. */
    Headers headers(String key) {
        RecordHeaders headers = new RecordHeaders();
        Context c = telemetry.enabled() ? jobs.get(key) : null;
        if (c != null) {
            telemetry.inject(c, headers);
        }
        return headers;
    }

    /** One attempt's span, child of the job's context, from its start to its end. */
    void attempt(Job job, Attempt a, Decision decision) {
        if (!telemetry.enabled()) {
            return;
        }
        Context parent = jobs.getOrDefault(job.getJobId(), Context.root());
        long start = a.startedAt();
        Span span = telemetry
                .tracer()
                .spanBuilder("chat " + a.model())
                .setParent(parent)
                .setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(start, TimeUnit.MILLISECONDS)
                .setAttribute(GenAi.OPERATION_NAME, "chat")
                .setAttribute(GenAi.PROVIDER_NAME, a.provider())
                .setAttribute(GenAi.SYSTEM, a.provider())
                .setAttribute(GenAi.REQUEST_MODEL, a.model())
                .setAttribute(GenAi.JOB_ID, job.getJobId())
                .setAttribute(GenAi.HOP, (long) a.hop())
                .setAttribute(GenAi.ATTEMPT, (long) a.number())
                .setAttribute(GenAi.OUTCOME_CLASS, a.outcome().name())
                .setAttribute(GenAi.DECISION, decision.name())
                .startSpan();
        if (a.keyName() != null) {
            span.setAttribute(GenAi.KEY_NAME, a.keyName());
        }
        if (a.httpStatus() != null) {
            span.setAttribute(GenAi.HTTP_STATUS, (long) a.httpStatus());
        }
        AttemptOutcome.Usage u = a.usage();
        if (u != null && u.promptTokens() != null) {
            span.setAttribute(GenAi.INPUT_TOKENS, (long) u.promptTokens());
        }
        if (u != null && u.completionTokens() != null) {
            span.setAttribute(GenAi.OUTPUT_TOKENS, (long) u.completionTokens());
        }
        if (a.outcome() == OutcomeClass.SUCCESS) {
            span.setAttribute(GenAi.RESPONSE_MODEL, a.model());
        } else {
            span.setAttribute(GenAi.ERROR_TYPE, a.outcome().name());
            span.setStatus(
                    StatusCode.ERROR, a.errorMessage() == null ? a.outcome().name() : a.errorMessage());
        }
        span.end(start + Math.max(0, a.latencyMs()), TimeUnit.MILLISECONDS);
    }
}
