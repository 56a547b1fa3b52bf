package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The providers' batch APIs on a {@link FakeProvider}, in their real wire formats: OpenAI's Files and Batches
 * ({@link FakeOpenAiBatches}) and Anthropic's Message Batches ({@link FakeAnthropicBatches}). This part is what a test
 * scripts and reads, and what the two share. What becomes of each item is scripted by its {@code custom_id}
 * ({@link #fates}); {@link #submissions()} counts the batches created, so a test can tell that none was submitted
 * twice.
 *
 * <p>Both cancel endpoints ({@code POST /v1/batches/{id}/cancel}, {@code POST /v1/messages/batches/{id}/cancel})
 * answer the batch as {@code cancelling} / {@code canceling}; {@link #cancelDelay} later it has ended ({@code
 * cancelled}; {@code ended}). The items are done one after the other over {@link #completionDelay}: those done before
 * the cancel keep their fate, the rest are cancelled (OpenAI's error line {@code batch_cancelled}; Anthropic's result
 * type {@code canceled}). {@link #cancels()} lists the cancel calls; {@link #failCancels} answers the next ones 500.
 */
public final class FakeBatches {

    /** What the fake does with one item. */
    public enum Fate {
        SUCCEED,
        /** Errored: OpenAI's line with {@code response.status_code} 500; Anthropic's {@code errored} api_error. */
        ERROR,
        EXPIRE,
        CANCEL,
        /** Answered, but its line in the result file is cut in half (not JSON); the other lines read as usual. */
        GARBLE,
        /** Answered as far as the batch's counts go, but left out of the result file. */
        OMIT
    }

    /** One provider batch, as either half of the fake keeps it. */
    record Batch(
            String id,
            Dialect dialect,
            Instant created,
            long createdNanos,
            ObjectNode metadata,
            List<JsonNode> items) {}

    private final Map<String, Batch> batches = new ConcurrentHashMap<>();
    private final Map<String, Integer> itemsSubmitted = new ConcurrentHashMap<>();
    private final Map<String, Integer> markers = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger submissions = new AtomicInteger();
    /** Each cancelled batch's cancel time ({@link System#nanoTime}). */
    private final Map<String, Long> cancelledAt = new ConcurrentHashMap<>();

    private final List<String> cancels = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger cancelFailures = new AtomicInteger();
    private volatile Duration completionDelay = Duration.ofMillis(500);
    private volatile Duration cancelDelay = Duration.ofMillis(200);
    private volatile Function<String, Fate> fates = id -> Fate.SUCCEED;

    private FakeBatches() {}

    /** Adds the OpenAI and Anthropic batch routes to {@code provider}. */
    public static FakeBatches on(FakeProvider provider) {
        FakeBatches b = new FakeBatches();
        new FakeOpenAiBatches(b).addRoutes(provider);
        new FakeAnthropicBatches(b, provider.baseUrl()).addRoutes(provider);
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

    /** The next {@code n} cancel calls (either provider) are answered 500, and the batch runs on. */
    public FakeBatches failCancels(int n) {
        cancelFailures.set(n);
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

    // ---- shared by the two halves ----

    String newId(String prefix) {
        return prefix + Long.toHexString(System.nanoTime()) + "x" + ids.incrementAndGet();
    }

    /**
     * Whether the batch has ended: {@link #completionDelay} after its creation, or {@link #cancelDelay} after a
     * cancel.
     */
    boolean ended(Batch b) {
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
    Fate fate(Batch b, int index) {
        Long cancel = cancelledAt.get(b.id());
        String customId = b.items().get(index).path("custom_id").asText();
        if (cancel == null) {
            return fates.apply(customId);
        }
        long doneAt = b.createdNanos()
                + completionDelay.toNanos() * (index + 1) / b.items().size();
        return doneAt <= cancel ? fates.apply(customId) : Fate.CANCEL;
    }

    /** How a cancel call is answered. */
    enum CancelAnswer {
        /** The batch is cancelling (or was already): answered with the batch object. */
        CANCELLING,
        /** Refused with a 400: the batch has ended. */
        ENDED,
        /** A 500, as {@link #failCancels} scripts it: the batch runs on. */
        FAILED
    }

    /** Cancels {@code b}, unless it has ended or this call is one of {@link #failCancels}. */
    CancelAnswer cancel(Batch b) {
        cancels.add(b.id());
        if (cancelFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return CancelAnswer.FAILED;
        }
        if (ended(b)) {
            return CancelAnswer.ENDED;
        }
        cancelledAt.putIfAbsent(b.id(), System.nanoTime()); // cancelling already: answered as is
        return CancelAnswer.CANCELLING;
    }

    Duration completionDelay() {
        return completionDelay;
    }

    boolean cancelled(Batch b) {
        return cancelledAt.containsKey(b.id());
    }

    /** Creates a batch of {@code items} now and counts it, its marker and its items. */
    Batch register(Dialect dialect, String idPrefix, ObjectNode metadata, List<JsonNode> items) {
        Batch b = new Batch(newId(idPrefix), dialect, Instant.now(), System.nanoTime(), metadata, items);
        submissions.incrementAndGet();
        if (b.metadata() != null && b.metadata().hasNonNull("relay_batch")) {
            markers.merge(b.metadata().get("relay_batch").asText(), 1, Integer::sum);
        }
        for (JsonNode item : b.items()) {
            itemsSubmitted.merge(item.path("custom_id").asText(), 1, Integer::sum);
        }
        batches.put(b.id(), b);
        return b;
    }

    /** The batch with this id if it is one of {@code dialect}'s, else null. */
    Batch batch(String id, Dialect dialect) {
        Batch b = batches.get(id);
        return b != null && b.dialect() == dialect ? b : null;
    }

    List<Batch> newestFirst(Dialect dialect) {
        return batches.values().stream()
                .filter(b -> b.dialect() == dialect)
                .sorted((x, y) -> Long.compare(y.createdNanos(), x.createdNanos()))
                .toList();
    }

    /** The first half of {@code line}: what a {@link Fate#GARBLE}d item's line holds. */
    static String garbled(String line) {
        return line.substring(0, line.length() / 2);
    }

    static JsonNode read(String json) {
        try {
            return Dialect.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
