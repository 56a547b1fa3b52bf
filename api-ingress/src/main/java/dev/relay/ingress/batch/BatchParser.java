package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.BodyReader;
import dev.relay.ingress.http.JobFactory;
import dev.relay.schemas.ChatRequestCodec.InvalidRequestException;
import dev.relay.schemas.Job;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads OpenAI Batch input lines ({@code {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}}) into
 * jobs. All lines are checked before anything is published: one bad line refuses the whole batch, naming the line.
 */
public final class BatchParser {

    public static final int MAX_LINES = 50_000;
    private static final Set<String> URLS = Set.of("/v1/chat/completions", "/chat/completions");

    private final BodyReader reader;
    private final JobFactory factory;

    public BatchParser(BodyReader reader, JobFactory factory) {
        this.reader = reader;
        this.factory = factory;
    }

    public List<Job> parse(String jsonl, String batchId, String tenant) {
        List<Job> jobs = new ArrayList<>();
        Set<String> customIds = new HashSet<>();
        String[] lines = jsonl.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            String where = "lines[" + i + "]";
            if (jobs.size() >= MAX_LINES) {
                throw ApiException.invalid(null, "too_many_lines", "a batch has at most " + MAX_LINES + " lines");
            }
            JsonNode n = parseLine(line, where);
            JsonNode customId = n.get("custom_id");
            if (customId == null || !customId.isTextual() || customId.asText().isEmpty()) {
                throw ApiException.invalid(where + ".custom_id", "invalid_value", where + ": custom_id must be a non-empty string");
            }
            if (!customIds.add(customId.asText())) {
                throw ApiException.invalid(where + ".custom_id", "duplicate_custom_id", where + ": custom_id '"
                        + customId.asText() + "' appears more than once");
            }
            if (n.has("method") && !"POST".equals(n.get("method").asText())) {
                throw ApiException.invalid(where + ".method", "invalid_value", where + ": method must be POST");
            }
            if (n.has("url") && !URLS.contains(n.get("url").asText())) {
                throw ApiException.invalid(where + ".url", "invalid_value", where + ": url must be /v1/chat/completions");
            }
            JsonNode body = n.get("body");
            if (body == null || !body.isObject()) {
                throw ApiException.invalid(where + ".body", "invalid_value", where + ": body must be a JSON object");
            }
            String jobId = batchId + "-" + jobs.size();
            try {
                jobs.add(factory.build(body, new JobFactory.Submission(jobId, tenant, null, "batch", batchId,
                        customId.asText()), false));
            } catch (ApiException e) {
                throw new ApiException(e.status(), e.type(), prefixed(where, e.param()), e.code(),
                        where + ": " + e.getMessage());
            } catch (InvalidRequestException e) {
                throw ApiException.invalid(prefixed(where, e.param()), "invalid_value", where + ": " + e.getMessage());
            }
        }
        if (jobs.isEmpty()) {
            throw ApiException.invalid(null, "empty_batch", "the batch has no lines");
        }
        return jobs;
    }

    private JsonNode parseLine(String line, String where) {
        JsonNode n = reader.parse(line, where);
        if (!n.isObject()) {
            throw ApiException.invalid(where, "invalid_json", where + " must be a JSON object");
        }
        return n;
    }

    private static String prefixed(String where, String param) {
        return param == null ? where + ".body" : where + ".body." + param;
    }
}
