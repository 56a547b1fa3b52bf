package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.BodyReader;
import dev.relay.ingress.http.JobFactory;
import dev.relay.schemas.ChatRequestCodec.InvalidRequestException;
import dev.relay.schemas.Job;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads OpenAI Batch input lines ({@code {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}}) into
 * jobs. All lines are checked before anything is published: one bad line refuses the whole batch, naming the line
 * ({@code lines[41].body.messages}). A {@link Lines} checks one line at a time, so a file of any size is checked with
 * only its custom ids in the heap.
 */
public final class BatchParser {

    public static final int MAX_LINES = 50_000;
    public static final String CHAT_COMPLETIONS = "/v1/chat/completions";
    private static final Set<String> URLS = Set.of(CHAT_COMPLETIONS, "/chat/completions");

    private final BodyReader reader;
    private final JobFactory factory;

    public BatchParser(BodyReader reader, JobFactory factory) {
        this.reader = reader;
        this.factory = factory;
    }

    /** A JSONL body, whole: the jobs of every line. */
    public List<Job> parse(String jsonl, String batchId, String tenant) {
        Lines lines = lines(batchId, tenant, null);
        List<Job> jobs = new ArrayList<>();
        String[] raw = jsonl.split("\r?\n");
        for (int i = 0; i < raw.length; i++) {
            Job job = lines.line(i, raw[i]);
            if (job != null) {
                jobs.add(job);
            }
        }
        lines.finish();
        return jobs;
    }

    /** A checker for the lines of one batch, fed in order; {@code deadline} (may be null) goes on every job. */
    public Lines lines(String batchId, String tenant, Instant deadline) {
        return new Lines(batchId, tenant, deadline, null);
    }

    /**
     * A checker whose jobs also carry the batch's {@code completionWindow} ("24h"): the processor may then run them
     * through a provider's batch API.
     */
    public Lines lines(String batchId, String tenant, Instant deadline, String completionWindow) {
        return new Lines(batchId, tenant, deadline, completionWindow);
    }

    /** Checks and converts the lines of one batch; job id = {@code <batch id>-<n>}, n counting non-blank lines. */
    public final class Lines {
        private final String batchId;
        private final String tenant;
        private final Instant deadline;
        private final String completionWindow;
        private final Set<String> customIds = new HashSet<>();
        private int jobs;

        private Lines(String batchId, String tenant, Instant deadline, String completionWindow) {
            this.batchId = batchId;
            this.tenant = tenant;
            this.deadline = deadline;
            this.completionWindow = completionWindow;
        }

        /** The job of line {@code index} (0-based, blank lines count), or null for a blank line. */
        public Job line(int index, String line) {
            if (line.isBlank()) {
                return null;
            }
            String where = "lines[" + index + "]";
            if (jobs >= MAX_LINES) {
                throw ApiException.invalid(null, "too_many_lines", "a batch has at most " + MAX_LINES + " lines");
            }
            JsonNode n = parseLine(line, where);
            JsonNode customId = n.get("custom_id");
            if (customId == null || !customId.isTextual() || customId.asText().isEmpty()) {
                throw ApiException.invalid(
                        where + ".custom_id", "invalid_value", where + ": custom_id must be a non-empty string");
            }
            if (!customIds.add(customId.asText())) {
                throw ApiException.invalid(
                        where + ".custom_id",
                        "duplicate_custom_id",
                        where + ": custom_id '" + customId.asText() + "' appears more than once");
            }
            if (n.has("method") && !"POST".equals(n.get("method").asText())) {
                throw ApiException.invalid(where + ".method", "invalid_value", where + ": method must be POST");
            }
            if (n.has("url") && !URLS.contains(n.get("url").asText())) {
                throw ApiException.invalid(
                        where + ".url",
                        "invalid_value",
                        where + ": url must be " + CHAT_COMPLETIONS + ", the batch's endpoint; got '"
                                + n.get("url").asText() + "'");
            }
            JsonNode body = n.get("body");
            if (body == null || !body.isObject()) {
                throw ApiException.invalid(where + ".body", "invalid_value", where + ": body must be a JSON object");
            }
            String jobId = batchId + "-" + jobs;
            Job job;
            try {
                job = factory.build(
                        body,
                        new JobFactory.Submission(jobId, tenant, null, "batch", batchId, customId.asText()),
                        false);
            } catch (ApiException e) {
                throw new ApiException(
                        e.status(), e.type(), prefixed(where, e.param()), e.code(), where + ": " + e.getMessage());
            } catch (InvalidRequestException e) {
                throw ApiException.invalid(prefixed(where, e.param()), "invalid_value", where + ": " + e.getMessage());
            }
            jobs++;
            if (deadline != null) {
                job.setDeadline(deadline);
            }
            job.setCompletionWindow(completionWindow);
            return job;
        }

        /** Ends the check: a batch needs at least one line. Returns the number of jobs. */
        public int finish() {
            if (jobs == 0) {
                throw ApiException.invalid(null, "empty_batch", "the batch has no lines");
            }
            return jobs;
        }
    }

    private JsonNode parseLine(String line, String where) {
        JsonNode n;
        try {
            n = reader.parse(line, where);
        } catch (ApiException e) {
            throw new ApiException(e.status(), e.type(), where, e.code(), e.getMessage());
        }
        if (!n.isObject()) {
            throw ApiException.invalid(where, "invalid_json", where + " must be a JSON object");
        }
        return n;
    }

    private static String prefixed(String where, String param) {
        return param == null ? where + ".body" : where + ".body." + param;
    }
}
