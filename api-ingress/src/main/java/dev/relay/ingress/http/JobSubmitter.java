package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.telemetry.GenAi;
import dev.relay.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accepts one job: validates it, applies the Idempotency-Key, registers the sync waiter and publishes. The job id for
 * an Idempotency-Key is derived from tenant and key, so two instances that race on the same key still write the same
 * job id; the accepted-keys record is the hop-0 topic itself, read back by every instance for the window.
 */
public final class JobSubmitter {

    /** A submission's outcome: the job id, whether it is new, and (if asked) the future of its result. */
    public record Accepted(String jobId, boolean created, CompletableFuture<JobResult> result) {}

    public static final int MAX_IDEMPOTENCY_KEY = 255;

    private final JobFactory factory;
    private final JobPublisher publisher;
    private final Telemetry telemetry;
    private final JobView view;
    private final Clock clock;
    private final Duration window;
    private final ConcurrentHashMap<String, Object> keyLocks = new ConcurrentHashMap<>();

    public JobSubmitter(JobFactory factory, JobPublisher publisher, JobView view, Clock clock, Duration window) {
        this(factory, publisher, view, clock, window, Telemetry.NONE);
    }

    /** With {@code telemetry}, each published job gets its {@code relay.job} span, the parent of its attempts. */
    public JobSubmitter(
            JobFactory factory,
            JobPublisher publisher,
            JobView view,
            Clock clock,
            Duration window,
            Telemetry telemetry) {
        this.telemetry = telemetry;
        this.factory = factory;
        this.publisher = publisher;
        this.view = view;
        this.clock = clock;
        this.window = window;
    }

    public Accepted submit(
            JsonNode body, String tenant, String idempotencyKey, boolean jobFields, boolean waitForResult) {
        return submit(body, tenant, idempotencyKey, jobFields, waitForResult, null, null);
    }

    /**
     * As above, for a request that may stream: {@code stream} is its StreamSpec, and {@code beforePublish} (may be
     * null) is told the job id before the job is published, so a chunk reader can subscribe first.
     */
    public Accepted submit(
            JsonNode body,
            String tenant,
            String idempotencyKey,
            boolean jobFields,
            boolean waitForResult,
            dev.relay.schemas.StreamSpec stream,
            java.util.function.Consumer<String> beforePublish) {
        validateKey(idempotencyKey);
        if (idempotencyKey == null) {
            String id = "job_" + UUID.randomUUID().toString().replace("-", "");
            Job job = factory.build(
                    body, new JobFactory.Submission(id, tenant, null, "http", null, null), jobFields, stream);
            if (beforePublish != null) {
                beforePublish.accept(id);
            }
            return publish(job, waitForResult);
        }
        String derived = derivedId(tenant, idempotencyKey);
        // Validate first: a bad body with a known key is still a 400, not the earlier job.
        Job candidate = factory.build(
                body,
                new JobFactory.Submission(derived, tenant, idempotencyKey, "http", null, null),
                jobFields,
                stream);
        Object lock = keyLocks.computeIfAbsent(derived, k -> new Object());
        try {
            synchronized (lock) {
                Optional<String> existing = existing(tenant, idempotencyKey, derived);
                if (existing.isPresent()) {
                    String id = existing.get();
                    Optional<String> first = view.requestFingerprint(id);
                    if (first.isPresent() && !first.get().equals(JobView.fingerprintOf(candidate))) {
                        throw new ApiException(
                                422,
                                "invalid_request_error",
                                "Idempotency-Key",
                                "idempotency_key_reused",
                                "Idempotency-Key '" + idempotencyKey
                                        + "' was already used for a different request (job "
                                        + id + "); a repeat must send the same messages, parameters, model and "
                                        + "fallbacks, or use a new key");
                    }
                    CompletableFuture<JobResult> f = null;
                    if (waitForResult) {
                        f = view.result(id)
                                .map(CompletableFuture::completedFuture)
                                .orElseGet(() -> view.awaitResult(id));
                    }
                    return new Accepted(id, false, f);
                }
                Job job = candidate;
                if (view.result(derived).isPresent()) {
                    // The key was used before the window: a new job, under a new id.
                    job = Job.newBuilder(candidate)
                            .setJobId(derived + "_" + clock.millis())
                            .build();
                }
                if (beforePublish != null) {
                    beforePublish.accept(job.getJobId());
                }
                return publish(job, waitForResult);
            }
        } finally {
            keyLocks.remove(derived, lock);
        }
    }

    private Optional<String> existing(String tenant, String key, String derived) {
        Optional<String> byKey = view.jobForIdempotencyKey(tenant, key);
        if (byKey.isPresent()) {
            return byKey;
        }
        long cutoff = clock.millis() - window.toMillis();
        return view.result(derived)
                .filter(r -> r.getSubmittedAt().toEpochMilli() >= cutoff)
                .map(JobResult::getJobId);
    }

    private Accepted publish(Job job, boolean waitForResult) {
        CompletableFuture<JobResult> f = waitForResult ? view.awaitResult(job.getJobId()) : null;
        Span span = telemetry.enabled()
                ? telemetry
                        .tracer()
                        .spanBuilder("relay.job")
                        .setSpanKind(SpanKind.PRODUCER)
                        .setAttribute(GenAi.JOB_ID, job.getJobId())
                        .setAttribute(AttributeKey.stringKey("messaging.system"), "kafka")
                        .startSpan()
                : Span.getInvalid();
        try (Scope scope = span.makeCurrent()) {
            publisher.publish(List.of(job));
        } catch (RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.getMessage());
            if (f != null) {
                view.dropWaiter(job.getJobId(), f);
            }
            throw e;
        } finally {
            span.end();
        }
        view.onJob(job);
        return new Accepted(job.getJobId(), true, f);
    }

    public static String derivedId(String tenant, String key) {
        String seed = "relay-idempotency\u0000" + (tenant == null ? "" : tenant) + "\u0000" + key;
        return "job_"
                + UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8))
                        .toString()
                        .replace("-", "");
    }

    public static void validateKey(String key) {
        if (key != null && (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY)) {
            throw ApiException.invalid(
                    "Idempotency-Key",
                    "invalid_header",
                    "Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
        }
    }
}
