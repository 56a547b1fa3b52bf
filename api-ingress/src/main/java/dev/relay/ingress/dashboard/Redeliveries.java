package dev.relay.ingress.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.webhook.WebhookSender;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Topics;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Redelivers one job's webhook on an operator's request: the same signed envelope and webhook id as the first
 * delivery (receivers dedupe on it), sent through the same {@link WebhookSender} (SSRF guard, retries), and each
 * state written to the webhooks topic like the dispatcher's, so the dashboard and {@code GET /v1/jobs/{id}} see it.
 */
public final class Redeliveries implements AutoCloseable {

    private final WebhookSender sender;
    private final JobView view;
    private final ResultRenderer renderer;
    private final KafkaProducer<String, String> states;
    private final Topics topics;
    private final ObjectMapper json;
    private final Clock clock;

    public Redeliveries(
            Map<String, Object> clientProps,
            WebhookSender sender,
            JobView view,
            ResultRenderer renderer,
            Topics topics,
            ObjectMapper json,
            Clock clock) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "relay-dashboard-redeliver");
        this.states = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        this.sender = sender;
        this.view = view;
        this.renderer = renderer;
        this.topics = topics;
        this.json = json;
        this.clock = clock;
    }

    /** Starts the redelivery in the background; fails at once when the job has no result or no callback. */
    public String start(String jobId) {
        JobView.JobState state = view.state(jobId)
                .orElseThrow(() -> new ApiException(
                        404,
                        "invalid_request_error",
                        null,
                        "job_not_found",
                        "No job " + jobId + " is known to this instance."));
        JobResult r = state.result()
                .orElseThrow(() -> new ApiException(
                        409,
                        "invalid_request_error",
                        null,
                        "job_not_finished",
                        "Job " + jobId + " has no result yet; its webhook is sent when it finishes."));
        if (r.getCallbackUrl() == null) {
            throw new ApiException(
                    409, "invalid_request_error", null, "no_callback", "Job " + jobId + " has no callback_url.");
        }
        String webhookId = "whk_" + r.getJobId() + "_g" + r.getReplayGeneration();
        ObjectNode envelope = json.createObjectNode();
        envelope.put("type", r.getStatus() == JobStatus.SUCCEEDED ? "job.succeeded" : "job.failed");
        envelope.put("timestamp", Instant.ofEpochMilli(clock.millis()).toString());
        envelope.set("data", renderer.job(state));
        String body = envelope.toString();
        Thread.ofVirtual().name("dashboard-redeliver-" + jobId).start(() -> {
            try {
                record(r, webhookId, "pending", List.of());
                WebhookSender.Outcome o = sender.deliver(
                        r.getCallbackUrl(), webhookId, body, attempts -> record(r, webhookId, "pending", attempts));
                record(r, webhookId, o.state().name().toLowerCase(java.util.Locale.ROOT), o.attempts());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return webhookId;
    }

    private void record(JobResult r, String webhookId, String state, List<WebhookSender.Attempt> attempts) {
        ObjectNode n = json.createObjectNode();
        n.put("webhook_id", webhookId);
        n.put("job_id", r.getJobId());
        n.put("url", r.getCallbackUrl());
        n.put("state", state);
        n.put("updated_at", clock.millis());
        n.put("redelivered", true);
        ArrayNode a = n.putArray("attempts");
        attempts.forEach(
                x -> a.addObject().put("at", x.at()).put("status", x.status()).put("error", x.error()));
        states.send(new ProducerRecord<>(topics.webhooks(), r.getJobId(), n.toString()));
    }

    @Override
    public void close() {
        states.close(java.time.Duration.ofSeconds(2));
    }
}
