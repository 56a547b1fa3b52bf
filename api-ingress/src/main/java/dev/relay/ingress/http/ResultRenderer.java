package dev.relay.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.kafka.JobView;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Target;
import java.util.List;

/** Renders results the way callers see them: OpenAI bodies plus Relay's {@code extra_fields}, and job documents. */
public final class ResultRenderer {

    private final ObjectMapper json;

    public ResultRenderer(ObjectMapper json) {
        this.json = json;
    }

    /** The HTTP status a sync caller gets: 200, or the primary's original status when everything failed. */
    public int status(JobResult r) {
        if (r.getStatus() == JobStatus.SUCCEEDED) {
            return 200;
        }
        int s = r.getError() == null ? 502 : r.getError().getHttpStatus();
        return s >= 400 && s <= 599 ? s : 502;
    }

    /** The sync answer: the provider's chat.completion (or OpenAI error body) plus {@code extra_fields}. */
    public ObjectNode syncBody(JobResult r) {
        ObjectNode body;
        if (r.getStatus() == JobStatus.SUCCEEDED) {
            JsonNode parsed = parse(r.getResponseJson());
            body = parsed instanceof ObjectNode o ? o : json.createObjectNode();
        } else {
            body = errorBody(r.getError());
        }
        body.set("extra_fields", extraFields(r));
        return body;
    }

    public ObjectNode extraFields(JobResult r) {
        ObjectNode extra = json.createObjectNode();
        extra.put("provider", r.getProvider());
        extra.put("model", r.getModel());
        extra.put("job_id", r.getJobId());
        extra.put("fallback_index", r.getHop());
        extra.put("latency_ms", r.getTotalLatencyMs());
        extra.put("replay_generation", r.getReplayGeneration());
        ArrayNode attempts = extra.putArray("attempts");
        r.getAttempts().forEach(a -> attempts.add(attempt(a)));
        return extra;
    }

    public ObjectNode errorBody(ErrorInfo e) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e == null ? "every target of the chain failed" : e.getMessage());
        error.put("type", e == null ? "api_error" : e.getType());
        error.put("param", e == null ? null : e.getParam());
        error.put("code", e == null ? null : e.getCode());
        return root;
    }

    /** {@code GET /v1/jobs/{id}}: status, the request's chain, the latest result and every attempt. */
    public ObjectNode job(JobView.JobState s) {
        ObjectNode out = json.createObjectNode();
        out.put("id", s.jobId());
        out.put("object", "relay.job");
        out.put("status", s.status());
        s.job().ifPresent(j -> {
            out.put("created_at", j.submittedAt() / 1000);
            out.set("chain", chain(j.chain()));
            out.put("batch_id", j.batchId());
            out.put("custom_id", j.customId());
            out.put("callback_url", j.callbackUrl());
            out.set("metadata", json.valueToTree(j.metadata()));
            out.put("replay_generation", j.generation());
        });
        JobResult r = s.result().orElse(null);
        if (r != null) {
            if (s.job().isEmpty()) {
                out.put("created_at", r.getSubmittedAt().toEpochMilli() / 1000);
                out.put("batch_id", r.getBatchId());
                out.put("custom_id", r.getCustomId());
                out.set("metadata", json.valueToTree(r.getMetadata()));
                out.put("replay_generation", r.getReplayGeneration());
            }
            out.put("completed_at", r.getCompletedAt().toEpochMilli() / 1000);
            out.put("http_status", status(r));
            out.set("response", r.getStatus() == JobStatus.SUCCEEDED ? parse(r.getResponseJson()) : null);
            out.set(
                    "error",
                    r.getStatus() == JobStatus.FAILED ? errorBody(r.getError()).get("error") : null);
            out.set("extra_fields", extraFields(r));
        }
        ArrayNode attempts = out.putArray("attempts");
        if (r != null && "succeeded failed".contains(s.status())) {
            r.getAttempts().forEach(a -> attempts.add(attempt(a)));
        } else {
            s.liveAttempts().forEach(a -> attempts.add(attempt(a)));
        }
        out.set("webhook", s.webhookJson().map(this::parse).orElse(null));
        return out;
    }

    private ArrayNode chain(List<Target> chain) {
        ArrayNode out = json.createArrayNode();
        chain.forEach(t -> out.add(t.getProvider() + "/" + t.getModel()));
        return out;
    }

    public ObjectNode attempt(AttemptSummary a) {
        ObjectNode o = json.createObjectNode();
        o.put("hop", a.getHop());
        o.put("attempt", a.getAttempt());
        o.put("provider", a.getProvider());
        o.put("model", a.getModel());
        o.put("key_name", a.getKeyName());
        o.put("outcome", a.getOutcome().name());
        o.put("http_status", a.getHttpStatus());
        o.put("error_type", a.getErrorType());
        o.put("error_code", a.getErrorCode());
        o.put("error_message", a.getErrorMessage());
        o.put("started_at", a.getStartedAt().toEpochMilli());
        o.put("latency_ms", a.getLatencyMs());
        o.put("decision", a.getDecision().name());
        o.put("replay_generation", a.getReplayGeneration());
        return o;
    }

    public ObjectNode attempt(AttemptRecord a) {
        ObjectNode o = json.createObjectNode();
        o.put("hop", a.getHop());
        o.put("attempt", a.getAttempt());
        o.put("provider", a.getProvider());
        o.put("model", a.getModel());
        o.put("key_name", a.getKeyName());
        o.put("outcome", a.getOutcome().name());
        o.put("http_status", a.getHttpStatus());
        o.put("error_type", a.getErrorType());
        o.put("error_code", a.getErrorCode());
        o.put("error_message", a.getErrorMessage());
        o.put("started_at", a.getStartedAt().toEpochMilli());
        o.put("latency_ms", a.getLatencyMs());
        o.put("decision", a.getDecision().name());
        o.put("replay_generation", a.getReplayGeneration());
        return o;
    }

    private JsonNode parse(String text) {
        if (text == null) {
            return json.nullNode();
        }
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            return json.getNodeFactory().textNode(text);
        }
    }
}
