package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The providers' batch APIs on a {@link FakeProvider}, in their real wire formats:
 * <ul>
 * <li>OpenAI Files and Batches: {@code POST /v1/files} (multipart, {@code purpose=batch}), {@code GET
 * /v1/files/{id}/content}, {@code POST /v1/batches}, {@code GET /v1/batches/{id}}, {@code GET /v1/batches}. A batch is
 * {@code in_progress} until {@link #completionDelay} has passed, then {@code completed}, or {@code expired} when an
 * item expired; its output and error files hold OpenAI's lines ({@code {"id", "custom_id", "response": {"status_code",
 * "request_id", "body"}, "error"}}).</li>
 * <li>Anthropic Message Batches: {@code POST /v1/messages/batches}, {@code GET /v1/messages/batches} (newest first),
 * {@code GET /v1/messages/batches/{id}}
 * ({@code processing_status} {@code in_progress}, then {@code ended} with a {@code results_url}), and the results as
 * JSONL ({@code {"custom_id", "result": {"type": "succeeded" | "errored" | "expired" | "canceled", ...}}}).</li>
 * </ul>
 * What becomes of each item is scripted by its {@code custom_id} ({@link #fates}); {@link #submissions()} counts the
 * batches created, so a test can tell that none was submitted twice.
 *
 * <p>Both cancel endpoints ({@code POST /v1/batches/{id}/cancel}, {@code POST /v1/messages/batches/{id}/cancel})
 * answer the batch as {@code cancelling} / {@code canceling}; {@link #cancelDelay} later it has ended ({@code
 * cancelled}; {@code ended}). The items are done one after the other over {@link #completionDelay}: those done before
 * the cancel keep their fate, the rest are cancelled (OpenAI's error line {@code batch_cancelled}; Anthropic's result
 * type {@code canceled}). {@link #cancels()} lists the cancel calls.
 */
public final class FakeBatches {

    /** What the fake does with one item. */
    public enum Fate {
        SUCCEED,
        /** Errored: OpenAI's line with {@code response.status_code} 500; Anthropic's {@code errored} api_error. */
        ERROR,
        EXPIRE,
        CANCEL
    }

    private record Batch(
            String id,
            Dialect dialect,
            Instant created,
            long createdNanos,
            ObjectNode metadata,
            List<JsonNode> items) {}

    private final FakeProvider provider;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Batch> batches = new ConcurrentHashMap<>();
    private final Map<String, Integer> itemsSubmitted = new ConcurrentHashMap<>();
    private final Map<String, Integer> markers = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger submissions = new AtomicInteger();
    /** Each cancelled batch's cancel time ({@link System#nanoTime}). */
    private final Map<String, Long> cancelledAt = new ConcurrentHashMap<>();

    private final List<String> cancels = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Duration completionDelay = Duration.ofMillis(500);
    private volatile Duration cancelDelay = Duration.ofMillis(200);
    private volatile Function<String, Fate> fates = id -> Fate.SUCCEED;

    private FakeBatches(FakeProvider provider) {
        this.provider = provider;
    }

    /** Adds the OpenAI and Anthropic batch routes to {@code provider}. */
    public static FakeBatches on(FakeProvider provider) {
        FakeBatches b = new FakeBatches(provider);
        provider.route(new Route("POST", "/v1/files", Dialect.OPENAI, b::uploadFile));
        provider.route(new Route("GET", "/v1/files/{id}/content", Dialect.OPENAI, b::fileContent));
        provider.route(new Route("POST", "/v1/batches", Dialect.OPENAI, b::createOpenAi));
        provider.route(new Route("GET", "/v1/batches", Dialect.OPENAI, b::listOpenAi));
        provider.route(new Route("GET", "/v1/batches/{id}", Dialect.OPENAI, b::retrieveOpenAi));
        provider.route(new Route("POST", "/v1/batches/{id}/cancel", Dialect.OPENAI, b::cancelOpenAi));
        provider.route(new Route("POST", "/v1/messages/batches", Dialect.ANTHROPIC, b::createAnthropic));
        provider.route(new Route("GET", "/v1/messages/batches", Dialect.ANTHROPIC, b::listAnthropic));
        provider.route(new Route("GET", "/v1/messages/batches/{id}", Dialect.ANTHROPIC, b::retrieveAnthropic));
        provider.route(new Route("POST", "/v1/messages/batches/{id}/cancel", Dialect.ANTHROPIC, b::cancelAnthropic));
        provider.route(new Route("GET", "/v1/messages/batches/{id}/results", Dialect.ANTHROPIC, b::resultsAnthropic));
        return b;
    }

    /** How long after its creation a batch ends. */
    public FakeBatches completionDelay(Duration delay) {
        this.completionDelay = delay;
        return this;
    }

    /** How long a cancelled batch stays {@code cancelling} ({@code canceling}) before it has ended. */
    public FakeBatches cancelDelay(Duration delay) {
        this.cancelDelay = delay;
        return this;
    }

    /** The ids of the batches a cancel was asked for, in order (both providers; a refused cancel too). */
    public List<String> cancels() {
        return List.copyOf(cancels);
    }

    /** What becomes of each item, by its {@code custom_id}. */
    public FakeBatches fates(Function<String, Fate> fates) {
        this.fates = fates;
        return this;
    }

    /**
     * A fixed share of the items fails, chosen by a hash of the {@code custom_id} (so the same item fails again if
     * submitted again): {@code permille} of 1000, half of them errored (500) and half expired.
     */
    public FakeBatches failing(int permille) {
        return fates(id -> fateOf(id, permille));
    }

    /** The fate {@link #failing(int)} gives {@code customId}. */
    public static Fate fateOf(String customId, int permille) {
        int h = Math.floorMod(customId.hashCode() * 0x9E3779B1, 1000);
        if (h >= permille) {
            return Fate.SUCCEED;
        }
        return h % 2 == 0 ? Fate.ERROR : Fate.EXPIRE;
    }

    /** Batches created so far (OpenAI and Anthropic). */
    public int submissions() {
        return submissions.get();
    }

    /** How many OpenAI batches were created with each {@code metadata.relay_batch} (Relay's marker). */
    public Map<String, Integer> markers() {
        return Map.copyOf(markers);
    }

    /** How many times each {@code custom_id} was submitted in a batch (any provider of this fake). */
    public Map<String, Integer> itemsSubmitted() {
        return Map.copyOf(itemsSubmitted);
    }

    private String id(String prefix) {
        return prefix + Long.toHexString(System.nanoTime()) + "x" + ids.incrementAndGet();
    }

    /**
     * Whether the batch has ended: {@link #completionDelay} after its creation, or {@link #cancelDelay} after a
     * cancel.
     */
    private boolean ended(Batch b) {
        Long cancel = cancelledAt.get(b.id());
        if (cancel != null) {
            return System.nanoTime() - cancel >= cancelDelay.toNanos();
        }
        return System.nanoTime() - b.createdNanos() >= completionDelay.toNanos();
    }

    /**
     * What becomes of item {@code index}: its scripted fate, unless the batch was cancelled before the item was done.
     * The items are done one after the other, evenly over {@link #completionDelay}.
     */
    private Fate fate(Batch b, int index) {
        Long cancel = cancelledAt.get(b.id());
        String customId = b.items().get(index).path("custom_id").asText();
        if (cancel == null) {
            return fates.apply(customId);
        }
        long doneAt = b.createdNanos()
                + completionDelay.toNanos() * (index + 1) / b.items().size();
        return doneAt <= cancel ? fates.apply(customId) : Fate.CANCEL;
    }

    /** Cancels {@code b}; false (the cancel is refused) when it has ended. */
    private boolean cancel(Batch b) {
        cancels.add(b.id());
        if (ended(b)) {
            return false;
        }
        cancelledAt.putIfAbsent(b.id(), System.nanoTime()); // cancelling already: answered as is
        return true;
    }

    // ---- OpenAI Files and Batches ----

    private Reply uploadFile(Request r) {
        String type = r.header("content-type");
        if (type == null || !type.contains("boundary=")) {
            return Reply.error(400, "invalid_request_error", "expected multipart/form-data");
        }
        String boundary = type.substring(type.indexOf("boundary=") + 9).replace("\"", "");
        String body = new String(r.body(), StandardCharsets.ISO_8859_1);
        String purpose = null;
        byte[] file = null;
        String filename = null;
        for (String part : body.split("--" + java.util.regex.Pattern.quote(boundary))) {
            int split = part.indexOf("\r\n\r\n");
            if (split < 0) {
                continue;
            }
            String head = part.substring(0, split);
            String content = part.substring(split + 4);
            if (content.endsWith("\r\n")) {
                content = content.substring(0, content.length() - 2);
            }
            if (head.contains("name=\"purpose\"")) {
                purpose = content;
            } else if (head.contains("name=\"file\"")) {
                file = content.getBytes(StandardCharsets.ISO_8859_1);
                int f = head.indexOf("filename=\"");
                filename = f < 0 ? "file" : head.substring(f + 10, head.indexOf('"', f + 10));
            }
        }
        if (!"batch".equals(purpose) || file == null) {
            return Reply.error(400, "invalid_request_error", "purpose must be batch and a file part is required");
        }
        String id = id("file-");
        files.put(id, file);
        ObjectNode o = Dialect.JSON.createObjectNode();
        o.put("id", id)
                .put("object", "file")
                .put("bytes", file.length)
                .put("created_at", Instant.now().getEpochSecond())
                .put("filename", filename)
                .put("purpose", "batch")
                .put("status", "processed");
        return Reply.json(200, o.toString());
    }

    private Reply fileContent(Request r) {
        byte[] f = files.get(r.pathParam("id"));
        if (f == null) {
            return Reply.error(404, "invalid_request_error", "No such File object: " + r.pathParam("id"));
        }
        return Reply.json(200, new String(f, StandardCharsets.UTF_8));
    }

    private Reply createOpenAi(Request r) throws Exception {
        JsonNode req = r.json();
        byte[] file = files.get(req.path("input_file_id").asText());
        if (file == null) {
            return Reply.error(404, "invalid_request_error", "No such File object: " + req.path("input_file_id"));
        }
        if (!"/v1/chat/completions".equals(req.path("endpoint").asText())
                || !"24h".equals(req.path("completion_window").asText())) {
            return Reply.error(400, "invalid_request_error", "endpoint or completion_window not supported");
        }
        List<JsonNode> items = new ArrayList<>();
        for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                items.add(Dialect.JSON.readTree(line));
            }
        }
        ObjectNode metadata = req.path("metadata").isObject()
                ? (ObjectNode) req.path("metadata").deepCopy()
                : Dialect.JSON.createObjectNode();
        Batch b = new Batch(id("batch_"), Dialect.OPENAI, Instant.now(), System.nanoTime(), metadata, items);
        register(b);
        return Reply.json(200, openAiObject(b).toString());
    }

    private void register(Batch b) {
        submissions.incrementAndGet();
        if (b.metadata() != null && b.metadata().hasNonNull("relay_batch")) {
            markers.merge(b.metadata().get("relay_batch").asText(), 1, Integer::sum);
        }
        for (JsonNode item : b.items()) {
            itemsSubmitted.merge(item.path("custom_id").asText(), 1, Integer::sum);
        }
        batches.put(b.id(), b);
    }

    private Reply listOpenAi(Request r) {
        List<Batch> all = batches.values().stream()
                .filter(b -> b.dialect() == Dialect.OPENAI)
                .sorted((a, b) -> Long.compare(b.createdNanos(), a.createdNanos()))
                .toList();
        ObjectNode out = Dialect.JSON.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        all.forEach(b -> data.add(openAiObject(b)));
        out.put("has_more", false);
        return Reply.json(200, out.toString());
    }

    private Reply retrieveOpenAi(Request r) {
        Batch b = batches.get(r.pathParam("id"));
        if (b == null || b.dialect() != Dialect.OPENAI) {
            return Reply.error(404, "invalid_request_error", "No batch found with id '" + r.pathParam("id") + "'.");
        }
        return Reply.json(200, openAiObject(b).toString());
    }

    /** {@code POST /v1/batches/{id}/cancel}: the batch object, {@code cancelling}; 400 once the batch has ended. */
    private Reply cancelOpenAi(Request r) {
        Batch b = batches.get(r.pathParam("id"));
        if (b == null || b.dialect() != Dialect.OPENAI) {
            return Reply.error(404, "invalid_request_error", "No batch found with id '" + r.pathParam("id") + "'.");
        }
        if (!cancel(b)) {
            return Reply.error(
                    400,
                    "invalid_request_error",
                    "Cannot cancel a batch with status '"
                            + openAiObject(b).path("status").asText() + "'.");
        }
        return Reply.json(200, openAiObject(b).toString());
    }

    private ObjectNode openAiObject(Batch b) {
        boolean ended = ended(b);
        int ok = 0;
        int failed = 0;
        boolean expired = false;
        StringBuilder output = new StringBuilder();
        StringBuilder errors = new StringBuilder();
        boolean cancelled = cancelledAt.containsKey(b.id());
        for (int index = 0; index < b.items().size(); index++) {
            JsonNode item = b.items().get(index);
            String customId = item.path("custom_id").asText();
            String model = item.path("body").path("model").asText();
            String requestId = "batch_req_" + Integer.toHexString(customId.hashCode());
            Fate fate = fate(b, index);
            switch (fate) {
                case SUCCEED -> {
                    ok++;
                    ObjectNode line = line(requestId, customId);
                    ObjectNode response = line.putObject("response");
                    response.put("status_code", 200).put("request_id", requestId);
                    response.set(
                            "body",
                            read(Dialect.OPENAI.completion(model, "batch answer " + customId, requestId, 5, 2)));
                    line.putNull("error");
                    output.append(line).append('\n');
                }
                case ERROR -> {
                    failed++;
                    ObjectNode line = line(requestId, customId);
                    ObjectNode response = line.putObject("response");
                    response.put("status_code", 500).put("request_id", requestId);
                    response.set("body", read(Dialect.OPENAI.error(500, "server_error", "fake batch item error")));
                    line.putNull("error");
                    errors.append(line).append('\n');
                }
                case EXPIRE, CANCEL -> {
                    boolean expire = fate == Fate.EXPIRE;
                    expired |= expire;
                    failed++;
                    ObjectNode line = line(requestId, customId);
                    line.putNull("response");
                    line.putObject("error")
                            .put("code", expire ? "batch_expired" : "batch_cancelled")
                            .put(
                                    "message",
                                    expire
                                            ? "This request could not be executed before the completion window expired."
                                            : "This request was not executed because the batch was cancelled.");
                    errors.append(line).append('\n');
                }
            }
        }
        long created = b.created().getEpochSecond();
        ObjectNode o = Dialect.JSON.createObjectNode();
        o.put("id", b.id())
                .put("object", "batch")
                .put("endpoint", "/v1/chat/completions")
                .putNull("errors");
        o.put("input_file_id", "file-input").put("completion_window", "24h");
        String status = cancelled
                ? (ended ? "cancelled" : "cancelling")
                : !ended ? "in_progress" : expired ? "expired" : "completed";
        o.put("status", status);
        if (ended) {
            String out = b.id() + "-output";
            String err = b.id() + "-errors";
            files.putIfAbsent(out, output.toString().getBytes(StandardCharsets.UTF_8));
            files.putIfAbsent(err, errors.toString().getBytes(StandardCharsets.UTF_8));
            o.put("output_file_id", ok > 0 ? out : null);
            o.put("error_file_id", failed > 0 ? err : null);
        } else {
            o.putNull("output_file_id");
            o.putNull("error_file_id");
        }
        o.put("created_at", created).put("in_progress_at", created);
        o.put("expires_at", created + 86_400);
        long end = created + completionDelay.toSeconds();
        o.put("completed_at", ended && !expired && !cancelled ? end : null);
        o.put("expired_at", ended && expired && !cancelled ? end : null);
        o.put("cancelling_at", cancelled ? Instant.now().getEpochSecond() : null);
        o.put("cancelled_at", cancelled && ended ? Instant.now().getEpochSecond() : null);
        o.putObject("request_counts")
                .put("total", b.items().size())
                .put("completed", ended ? ok : 0)
                .put("failed", ended ? failed : 0);
        o.set("metadata", b.metadata());
        return o;
    }

    private static ObjectNode line(String requestId, String customId) {
        ObjectNode line = Dialect.JSON.createObjectNode();
        line.put("id", requestId).put("custom_id", customId);
        return line;
    }

    private static JsonNode read(String json) {
        try {
            return Dialect.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- Anthropic Message Batches ----

    private Reply createAnthropic(Request r) {
        JsonNode requests = r.json().path("requests");
        if (!requests.isArray() || requests.isEmpty()) {
            return Reply.error(400, "invalid_request_error", "requests: at least one request is required");
        }
        List<JsonNode> items = new ArrayList<>();
        requests.forEach(items::add);
        Batch b = new Batch(id("msgbatch_"), Dialect.ANTHROPIC, Instant.now(), System.nanoTime(), null, items);
        register(b);
        return Reply.json(200, anthropicObject(b).toString());
    }

    private Reply listAnthropic(Request r) {
        List<Batch> all = batches.values().stream()
                .filter(b -> b.dialect() == Dialect.ANTHROPIC)
                .sorted((a, b) -> Long.compare(b.createdNanos(), a.createdNanos()))
                .toList();
        ObjectNode out = Dialect.JSON.createObjectNode();
        ArrayNode data = out.putArray("data");
        all.forEach(b -> data.add(anthropicObject(b)));
        out.put("has_more", false);
        out.put("first_id", all.isEmpty() ? null : all.get(0).id());
        out.put("last_id", all.isEmpty() ? null : all.get(all.size() - 1).id());
        return Reply.json(200, out.toString());
    }

    private Reply retrieveAnthropic(Request r) {
        Batch b = batches.get(r.pathParam("id"));
        if (b == null || b.dialect() != Dialect.ANTHROPIC) {
            return Reply.error(404, "not_found_error", "batch not found");
        }
        return Reply.json(200, anthropicObject(b).toString());
    }

    /** {@code POST /v1/messages/batches/{id}/cancel}: the message batch, {@code canceling}; 400 once it has ended. */
    private Reply cancelAnthropic(Request r) {
        Batch b = batches.get(r.pathParam("id"));
        if (b == null || b.dialect() != Dialect.ANTHROPIC) {
            return Reply.error(404, "not_found_error", "batch not found");
        }
        if (!cancel(b)) {
            return Reply.error(400, "invalid_request_error", "the message batch has ended and cannot be canceled");
        }
        return Reply.json(200, anthropicObject(b).toString());
    }

    private ObjectNode anthropicObject(Batch b) {
        boolean ended = ended(b);
        boolean cancelled = cancelledAt.containsKey(b.id());
        int[] counts = new int[Fate.values().length];
        for (int index = 0; index < b.items().size(); index++) {
            counts[fate(b, index).ordinal()]++;
        }
        ObjectNode o = Dialect.JSON.createObjectNode();
        o.put("id", b.id()).put("type", "message_batch");
        o.put("processing_status", ended ? "ended" : cancelled ? "canceling" : "in_progress");
        o.putObject("request_counts")
                .put("processing", ended ? 0 : b.items().size())
                .put("succeeded", ended ? counts[Fate.SUCCEED.ordinal()] : 0)
                .put("errored", ended ? counts[Fate.ERROR.ordinal()] : 0)
                .put("canceled", ended ? counts[Fate.CANCEL.ordinal()] : 0)
                .put("expired", ended ? counts[Fate.EXPIRE.ordinal()] : 0);
        o.put("ended_at", ended ? b.created().plus(completionDelay).toString() : null);
        o.put("created_at", b.created().toString());
        o.put("expires_at", b.created().plus(Duration.ofHours(24)).toString());
        o.putNull("archived_at");
        o.put("cancel_initiated_at", cancelled ? Instant.now().toString() : null);
        o.put("results_url", ended ? provider.baseUrl() + "/v1/messages/batches/" + b.id() + "/results" : null);
        return o;
    }

    private Reply resultsAnthropic(Request r) {
        Batch b = batches.get(r.pathParam("id"));
        if (b == null || b.dialect() != Dialect.ANTHROPIC) {
            return Reply.error(404, "not_found_error", "batch not found");
        }
        if (!ended(b)) {
            return Reply.error(400, "invalid_request_error", "the batch is still processing");
        }
        StringBuilder out = new StringBuilder();
        for (int index = 0; index < b.items().size(); index++) {
            JsonNode item = b.items().get(index);
            String customId = item.path("custom_id").asText();
            String model = item.path("params").path("model").asText();
            ObjectNode line = Dialect.JSON.createObjectNode();
            line.put("custom_id", customId);
            ObjectNode result = line.putObject("result");
            switch (fate(b, index)) {
                case SUCCEED -> {
                    result.put("type", "succeeded");
                    result.set(
                            "message",
                            read(Dialect.ANTHROPIC.completion(
                                    model,
                                    "batch answer " + customId,
                                    Integer.toHexString(customId.hashCode()),
                                    5,
                                    2)));
                }
                case ERROR -> {
                    result.put("type", "errored");
                    result.set("error", read(Dialect.ANTHROPIC.error(500, "api_error", "fake batch item error")));
                }
                case EXPIRE -> result.put("type", "expired");
                case CANCEL -> result.put("type", "canceled");
            }
            out.append(line).append('\n');
        }
        return Reply.json(200, out.toString());
    }
}
