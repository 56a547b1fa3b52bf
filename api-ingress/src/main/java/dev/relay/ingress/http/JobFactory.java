package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.webhook.TargetGuard;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Job;
import dev.relay.schemas.Target;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * Validates an OpenAI chat body (plus Relay's optional job fields) and builds the {@link Job} to publish. Every
 * refusal is an {@link ApiException}; nothing here touches Kafka, so a refused request can never leave a record.
 */
public final class JobFactory {

    /** Where a job came from and who sent it. */
    public record Submission(
            String jobId, String tenant, String idempotencyKey, String origin, String batchId, String customId) {}

    private final ChainParser chains;
    private final TargetGuard callbacks;
    private final Clock clock;

    public JobFactory(ChainParser chains, TargetGuard callbacks, Clock clock) {
        this.chains = chains;
        this.callbacks = callbacks;
        this.clock = clock;
    }

    /** Checks everything about the body; {@code jobFields} allows callback_url, metadata, custom_id and deadline. */
    public Job build(JsonNode body, Submission s, boolean jobFields) {
        return build(body, s, jobFields, null);
    }

    /**
     * As {@link #build(JsonNode, Submission, boolean)}; {@code stream} is the StreamSpec of a request with
     * {@code stream: true} (null where streaming is not offered, such as batch lines, which then refuse it).
     */
    public Job build(JsonNode body, Submission s, boolean jobFields, dev.relay.schemas.StreamSpec stream) {
        if (StreamRequests.wanted(body) && stream == null) {
            throw ApiException.invalid("stream", "streaming_unsupported", "stream: true is not supported here");
        }
        List<Target> chain = chains.chain(body);
        ChatRequest request = ChatRequestCodec.fromOpenAi(body);
        Job.Builder job = Job.newBuilder()
                .setJobId(s.jobId())
                .setSubmittedAt(clock.instant())
                .setIdempotencyKey(s.idempotencyKey())
                .setTenant(s.tenant())
                .setBatchId(s.batchId())
                .setCustomId(s.customId())
                .setRequest(request)
                .setChain(chain)
                .setHop(0)
                .setAttempts(List.of())
                .setReplayGeneration(0)
                .setOrigin(s.origin())
                .setMetadata(Map.of());
        if (!jobFields) {
            for (String f : List.of("callback_url", "custom_id", "deadline")) {
                if (body.has(f)) {
                    throw ApiException.invalid(
                            f, "unsupported_parameter", "'" + f + "' is only accepted by POST /v1/jobs");
                }
            }
        } else {
            job.setCallbackUrl(callbackUrl(body.get("callback_url")));
            String custom = optionalText(body, "custom_id", 256);
            if (custom != null) {
                job.setCustomId(custom);
            }
            job.setDeadline(deadline(body.get("deadline")));
        }
        job.setMetadata(Metadata.check(body.get("metadata")));
        if (StreamRequests.wanted(body)) {
            job.setStream(stream);
        }
        return job.build();
    }

    private String callbackUrl(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiException.invalid("callback_url", "invalid_type", "'callback_url' must be a string URL");
        }
        TargetGuard.Verdict v = callbacks.checkResolved(n.asText());
        if (!v.allowed()) {
            throw ApiException.invalid("callback_url", "invalid_callback_url", "'callback_url' " + v.reason());
        }
        return n.asText();
    }

    private Instant deadline(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        Instant at;
        if (n.isIntegralNumber()) {
            at = Instant.ofEpochSecond(n.asLong());
        } else if (n.isTextual()) {
            try {
                at = Instant.parse(n.asText());
            } catch (DateTimeParseException e) {
                throw ApiException.invalid(
                        "deadline",
                        "invalid_value",
                        "'deadline' must be an RFC 3339 time (2026-01-01T00:00:00Z) or epoch seconds");
            }
        } else {
            throw ApiException.invalid("deadline", "invalid_type", "'deadline' must be a string or an integer");
        }
        if (!at.isAfter(clock.instant())) {
            throw ApiException.invalid("deadline", "invalid_value", "'deadline' is in the past: " + at);
        }
        return at;
    }

    private static String optionalText(JsonNode body, String field, int max) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() || n.asText().isEmpty() || n.asText().length() > max) {
            throw ApiException.invalid(
                    field,
                    "invalid_value",
                    "'" + field + "' must be a non-empty string of at most " + max + " characters");
        }
        return n.asText();
    }
}
