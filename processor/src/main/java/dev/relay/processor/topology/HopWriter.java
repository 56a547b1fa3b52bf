package dev.relay.processor.topology;

import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What a hop writes in the current transaction, on its stream thread: each attempt's audit record (with its metric
 * and trace span), a job's result and FailedJob, and a job sent on to the next hop. Every record carries the job's
 * trace context ({@link JobTracing}). One instance per hop processor.
 */
final class HopWriter {

    private final int hop;
    private final FallbackServices services;
    private final JobTracing tracing;
    private ProcessorContext<String, Object> ctx;

    HopWriter(int hop, FallbackServices services) {
        this.hop = hop;
        this.services = services;
        this.tracing = new JobTracing(services.telemetry(), hop);
    }

    void init(ProcessorContext<String, Object> context) {
        this.ctx = context;
    }

    /** Each job's trace context on this hop: read from its record, carried by every record sent on. */
    JobTracing tracing() {
        return tracing;
    }

    /** Writes the audit record of attempt {@code a} and returns the job with the attempt's summary added. */
    Job attempt(Job job, Attempt a, Decision decision) {
        var summary = Records.summary(a, decision, job.getReplayGeneration());
        forward(job.getJobId(), Records.audit(job, a, decision), FallbackTopology.ATTEMPTS);
        services.metrics().attempt(a.provider(), a.model(), a.outcome().name(), decision.name());
        tracing.attempt(job, a, decision);
        return Records.withAttempt(job, summary);
    }

    /** The job ends with the completion {@code completionJson}: writes its SUCCEEDED result. */
    void succeeded(String key, Job job, String completionJson, long now) {
        forward(key, Records.succeeded(job, completionJson, hop, now), FallbackTopology.RESULTS);
        services.metrics().result("SUCCEEDED");
    }

    /** The job ends failed: writes its FAILED result (carrying {@code error}) and its FailedJob. */
    void failed(String key, Job job, String reason, OutcomeClass finalOutcome, ErrorInfo error, long now) {
        forward(key, Records.failed(job, error, now), FallbackTopology.RESULTS);
        forward(key, Records.failedJob(job, reason, error, finalOutcome, now), FallbackTopology.FAILED);
        services.metrics().result("FAILED");
    }

    /** Sends the job on to the next hop's topic as {@code next}. */
    void nextHop(String key, Job next) {
        forward(key, next, FallbackTopology.NEXT);
    }

    private void forward(String key, Object value, String child) {
        ctx.forward(
                new Record<>(key, value, ctx.currentSystemTimeMs(), tracing.headers(key)),
                FallbackTopology.child(hop, child));
    }
}
