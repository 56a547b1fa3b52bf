package dev.relay.processor.topology;

import dev.relay.config.BatchSettings;
import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.batch.BatchApi;
import dev.relay.processor.provider.batch.BatchFailures;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Job;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch tier of one hop task: items of 24 h batches whose target's provider has {@code batch.enabled} are not
 * called one by one but grouped per provider, model and key into provider batches ({@code max_items} or
 * {@code max_wait}, whichever comes first), submitted, polled every {@code poll_interval}, and when a provider batch
 * ends each item's result, found by its {@code custom_id}, comes back from {@link #tick} as a {@link FinishedCall}
 * that the hop settles like any call's end (so a failed or expired item goes down its chain as usual).
 *
 * <p>Every provider batch lives in the hop's changelogged provider-batch store ({@link ProviderBatchRecord}), written
 * before the submit and updated with the provider's id when the submit returns; it is deleted in the same
 * transaction in which its items end. The HTTP calls run off the stream thread; their answers come back as events
 * that only the stream thread applies. Crash windows: docs/batches.md.
 */
final class ProviderBatcher {

    private static final Logger log = LoggerFactory.getLogger(ProviderBatcher.class);

    /**
     * How long after the submit intent is written the submit goes out: the intent is committed first (the hop asks
     * for a commit at once), so a crash can never leave a submitted batch that the store does not know.
     */
    static final long SUBMIT_AFTER_MS = 1_000;

    /** What {@link #tick} hands back: an item whose attempt ended, with its in-flight entry. */
    record Finished(String key, InflightEntry entry, FinishedCall call) {}

    private record GroupKey(String provider, String model, String keyName) {}

    private record ItemRef(String batchId, String stamp) {}

    private static final class Group {
        final long firstAt;
        final LinkedHashMap<String, String> stamps = new LinkedHashMap<>();

        Group(long firstAt) {
            this.firstAt = firstAt;
        }
    }

    /** A provider batch this task knows: its record, and whether an HTTP call for it is under way. */
    private static final class Live {
        ProviderBatchRecord record;
        final boolean restored;
        boolean busy;
        long nextAt;

        Live(ProviderBatchRecord record, boolean restored, long nextAt) {
            this.record = record;
            this.restored = restored;
            this.nextAt = nextAt;
        }
    }

    private final int hop;
    private final FallbackServices services;
    private final ProviderBatchCalls calls;
    private final Map<GroupKey, Group> open = new LinkedHashMap<>();
    private final Map<String, Live> live = new LinkedHashMap<>();
    /** Each item of a provider batch this task knows: the batch's id and the item's stamp. */
    private final Map<String, ItemRef> itemBatch = new HashMap<>();

    private volatile int incarnation;
    private KeyValueStore<String, String> store;
    private ProcessorContext<String, Object> ctx;

    ProviderBatcher(int hop, FallbackServices services) {
        this.hop = hop;
        this.services = services;
        this.calls = new ProviderBatchCalls(services.callStarter());
    }

    /** Loads the provider batches of this task from the store (restored from its changelog). */
    void init(ProcessorContext<String, Object> context, KeyValueStore<String, String> batches, long now) {
        incarnation++;
        this.ctx = context;
        this.store = batches;
        open.clear();
        live.clear();
        itemBatch.clear();
        calls.clear();
        if (store == null) {
            return; // no provider has a batch API
        }
        try (KeyValueIterator<String, String> it = store.all()) {
            while (it.hasNext()) {
                ProviderBatchRecord r = ProviderBatchRecord.fromJson(it.next().value);
                live.put(r.id(), new Live(r, true, now));
                r.items().forEach(i -> itemBatch.put(i.key(), new ItemRef(r.id(), i.stamp())));
            }
        }
        if (!live.isEmpty()) {
            log.info(
                    "task {} hop {}: resuming {} provider batches ({} items)",
                    context.taskId(),
                    hop,
                    live.size(),
                    itemBatch.size());
        }
    }

    /** Whether the job's target on {@code targetHop} runs as an item of a provider batch. */
    boolean accepts(Job job, int targetHop, long now) {
        if (!"24h".equals(job.getCompletionWindow()) || job.getStream() != null) {
            return false;
        }
        if (job.getDeadline() != null && now >= job.getDeadline().toEpochMilli()) {
            return false; // the real-time path ends it as DEADLINE
        }
        String provider = job.getChain().get(targetHop).getProvider();
        ProviderConfig config = services.providers().get(provider);
        return config != null
                && config.batch().enabled()
                && services.batchApis().containsKey(provider);
    }

    /** Whether {@code key}'s restored entry is an item of a provider batch this task resumes (not to be queued). */
    boolean holds(String key, InflightEntry e) {
        ItemRef ref = itemBatch.get(key);
        return ref != null && live.containsKey(ref.batchId()) && ref.stamp().equals(ProviderBatchRecord.stamp(e));
    }

    /**
     * Puts the job into the open group of its provider, model and key. False when the provider has keys but none is
     * usable for this job: the real-time path refuses it as it would any call.
     */
    boolean add(String key, InflightEntry e, long now) {
        var target = e.job().getChain().get(hop);
        ProviderConfig config = services.providers().get(target.getProvider());
        String keyName = null;
        if (!config.keys().isEmpty()) {
            Optional<KeyConfig> k =
                    services.policy().chooseKey(config, target.getModel(), new HashSet<>(e.excludedKeys()));
            if (k.isEmpty()) {
                return false;
            }
            keyName = k.get().name();
        }
        open.computeIfAbsent(new GroupKey(target.getProvider(), target.getModel(), keyName), g -> new Group(now))
                .stamps
                .put(key, ProviderBatchRecord.stamp(e));
        return true;
    }

    /** A newer record replaced the job: whatever its provider batch says about the old one is not used. */
    void forget(String key) {
        open.values().forEach(g -> g.stamps.remove(key));
        itemBatch.remove(key);
    }

    /**
     * Seals the groups that are due, starts the submits and polls that are due, and applies the answers that came
     * back. Returns the items whose attempt ended, for the hop to settle in this same transaction.
     */
    List<Finished> tick(long now, Function<String, InflightEntry> entries) {
        List<Finished> done = new ArrayList<>();
        for (ProviderBatchCalls.Event ev; (ev = calls.next()) != null; ) {
            if (ev.incarnation() == incarnation && live.containsKey(ev.id())) {
                apply(ev, now, entries, done);
            }
        }
        seal(now, entries);
        for (Iterator<Live> it = live.values().iterator(); it.hasNext(); ) {
            Live l = it.next();
            if (l.busy || now < l.nextAt) {
                continue;
            }
            if (api(l) == null) {
                // the provider's batch API is no longer configured: the items go on as failed attempts
                end(
                        l,
                        now,
                        entries,
                        done,
                        i -> BatchFailures.of(
                                BatchFailures.MISSING,
                                "provider " + l.record.provider() + " no longer has batch.enabled; provider batch "
                                        + l.record.providerBatchId() + " is not polled"),
                        Map.of());
                it.remove();
                continue;
            }
            if (l.record.providerBatchId() != null) {
                poll(l);
            } else if (!l.restored) {
                if (!submit(l, entries)) {
                    it.remove();
                }
            } else {
                find(l); // a submit cut off by a crash: did it reach the provider?
            }
        }
        return done;
    }

    private void seal(long now, Function<String, InflightEntry> entries) {
        for (Iterator<Map.Entry<GroupKey, Group>> it = open.entrySet().iterator(); it.hasNext(); ) {
            var g = it.next();
            BatchSettings s = services.providers().get(g.getKey().provider()).batch();
            if (g.getValue().stamps.isEmpty()) {
                it.remove();
                continue;
            }
            if (g.getValue().stamps.size() < s.maxItems()
                    && now - g.getValue().firstAt < s.maxWait().toMillis()) {
                continue;
            }
            it.remove();
            List<Map.Entry<String, String>> all =
                    new ArrayList<>(g.getValue().stamps.entrySet());
            for (int from = 0; from < all.size(); from += s.maxItems()) {
                List<ProviderBatchRecord.Item> items = new ArrayList<>();
                for (var kv : all.subList(from, Math.min(all.size(), from + s.maxItems()))) {
                    items.add(new ProviderBatchRecord.Item(
                            customId(kv.getKey(), items.size()), kv.getKey(), kv.getValue()));
                }
                String id = "rpb_" + UUID.randomUUID().toString().replace("-", "");
                var r = new ProviderBatchRecord(
                        id,
                        g.getKey().provider(),
                        g.getKey().model(),
                        g.getKey().keyName(),
                        now,
                        null,
                        0,
                        items);
                store.put(id, r.toJson()); // the intent, committed before the submit goes out
                live.put(id, new Live(r, false, now + SUBMIT_AFTER_MS));
                items.forEach(i -> itemBatch.put(i.key(), new ItemRef(id, i.stamp())));
                log.info(
                        "hop {}: provider batch {} of {} items for {}/{} (key {}) sealed; submit in {} ms",
                        hop,
                        id,
                        items.size(),
                        r.provider(),
                        r.model(),
                        r.keyName(),
                        SUBMIT_AFTER_MS);
            }
            ctx.commit();
        }
    }

    /** The job id when a provider accepts it as a custom_id (both take 1-64 of [A-Za-z0-9_-]), else the index. */
    private static String customId(String key, int index) {
        return key.matches("[A-Za-z0-9_-]{1,64}") ? key : "item-" + index;
    }

    /** Starts the submit; false (and the record gone) when none of its items is still here. */
    private boolean submit(Live l, Function<String, InflightEntry> entries) {
        ProviderBatchRecord r = l.record;
        List<BatchApi.Item> items = new ArrayList<>();
        for (ProviderBatchRecord.Item i : r.items()) {
            InflightEntry e = entries.apply(i.key());
            if (e != null && i.stamp().equals(ProviderBatchRecord.stamp(e))) {
                items.add(new BatchApi.Item(
                        i.customId(), ChatRequestCodec.toOpenAi(e.job().getRequest(), r.model())));
            }
        }
        if (items.isEmpty()) {
            store.delete(r.id());
            return false;
        }
        int inc = incarnation;
        l.busy = true;
        calls.submit(inc, () -> inc == incarnation, api(l), r, items, secret(r));
        return true;
    }

    private void find(Live l) {
        l.busy = true;
        calls.find(incarnation, api(l), l.record, secret(l.record));
    }

    private void poll(Live l) {
        l.busy = true;
        calls.poll(incarnation, api(l), l.record, secret(l.record));
    }

    private void apply(
            ProviderBatchCalls.Event ev, long now, Function<String, InflightEntry> entries, List<Finished> done) {
        Live l = live.get(ev.id());
        l.busy = false;
        ProviderBatchRecord r = l.record;
        long pollEvery =
                services.providers().get(r.provider()).batch().pollInterval().toMillis();
        switch (ev) {
            case ProviderBatchCalls.Event.Submitted s -> {
                l.record = r.submitted(s.batchId(), now);
                store.put(r.id(), l.record.toJson());
                l.nextAt = now + pollEvery;
                services.metrics().providerBatch(r.provider(), "submitted");
                log.info(
                        "hop {}: provider batch {} submitted to {} as {} ({} items)",
                        hop,
                        r.id(),
                        r.provider(),
                        s.batchId(),
                        r.items().size());
            }
            case ProviderBatchCalls.Event.Found f
            when f.lookup() instanceof BatchApi.Lookup.Found found -> {
                l.record = r.submitted(found.batchId(), now);
                store.put(r.id(), l.record.toJson());
                l.nextAt = now;
                services.metrics().providerBatch(r.provider(), "recovered");
                log.info(
                        "hop {}: provider batch {} found at {} as {} after a restart",
                        hop,
                        r.id(),
                        r.provider(),
                        found.batchId());
            }
            case ProviderBatchCalls.Event.Found f
            when f.lookup() instanceof BatchApi.Lookup.Undecided u -> {
                log.info("hop {}: provider batch {}: {}; looking again in {} ms", hop, r.id(), u.why(), pollEvery);
                l.nextAt = now + pollEvery;
            }
            case ProviderBatchCalls.Event.Found f -> {
                // the cut-off submit never reached the provider: it goes out now, under the same marker
                log.info("hop {}: provider batch {} never reached {}; submitting it now", hop, r.id(), r.provider());
                if (!submit(l, entries)) {
                    live.remove(r.id());
                }
            }
            case ProviderBatchCalls.Event.SubmitFailed s -> {
                log.warn(
                        "hop {}: provider batch {} could not be submitted to {}: {}; its {} items fail as {}",
                        hop,
                        r.id(),
                        r.provider(),
                        s.failure().message(),
                        r.items().size(),
                        s.failure().failureClass());
                services.metrics().providerBatch(r.provider(), "submit_failed");
                end(l, now, entries, done, i -> s.failure(), Map.of());
                live.remove(r.id());
            }
            case ProviderBatchCalls.Event.PollFailed p -> {
                log.warn(
                        "hop {}: polling provider batch {} ({} at {}) failed, trying again in {} ms: {}",
                        hop,
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        pollEvery,
                        p.error().toString());
                services.metrics().providerBatch(r.provider(), "poll_failed");
                l.nextAt = now + pollEvery;
            }
            case ProviderBatchCalls.Event.Polled p
            when p.poll() instanceof BatchApi.Poll.Running running -> {
                log.debug("provider batch {} at {}: {}", r.id(), r.provider(), running.status());
                l.nextAt = now + pollEvery;
            }
            case ProviderBatchCalls.Event.Polled p -> {
                var ended = (BatchApi.Poll.Ended) p.poll();
                Map<String, AttemptOutcome> byCustomId = byCustomId(r, ended);
                services.metrics().providerBatch(r.provider(), "ended");
                log.info(
                        "hop {}: provider batch {} ({} at {}) ended {}: {} results for {} items",
                        hop,
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        ended.status(),
                        byCustomId.size(),
                        r.items().size());
                end(
                        l,
                        now,
                        entries,
                        done,
                        i -> byCustomId.getOrDefault(
                                i.customId(),
                                BatchFailures.of(
                                        BatchFailures.MISSING,
                                        "provider batch " + r.providerBatchId() + " ended " + ended.status()
                                                + " without a result for this item")),
                        p.completions());
                live.remove(r.id());
            }
        }
    }

    /**
     * Each item's result by its custom_id: the provider batch's own mapping is the only link between a result and its
     * job, so a result that names no item of the batch is logged and counted, never matched to one.
     */
    private Map<String, AttemptOutcome> byCustomId(ProviderBatchRecord r, BatchApi.Poll.Ended ended) {
        Set<String> mine = new HashSet<>();
        r.items().forEach(i -> mine.add(i.customId()));
        Map<String, AttemptOutcome> byCustomId = new HashMap<>();
        for (var item : ended.results()) {
            if (item.customId() == null || !mine.contains(item.customId())) {
                log.warn(
                        "provider batch {} ({} at {}) returned a result for custom_id '{}', which is not one of its"
                                + " items; ignored",
                        r.id(),
                        r.providerBatchId(),
                        r.provider(),
                        item.customId());
                services.metrics().providerBatchUnknownItem(r.provider());
            } else if (byCustomId.putIfAbsent(item.customId(), item.outcome()) != null) {
                log.warn(
                        "provider batch {}: a second result for custom_id '{}'; the first is kept",
                        r.id(),
                        item.customId());
            }
        }
        return byCustomId;
    }

    /** Every still-current item of {@code l} ends with its outcome; the record goes in the same transaction. */
    private void end(
            Live l,
            long now,
            Function<String, InflightEntry> entries,
            List<Finished> done,
            Function<ProviderBatchRecord.Item, AttemptOutcome> outcomes,
            Map<String, String> completions) {
        ProviderBatchRecord r = l.record;
        Attempt.Tier tier = Attempt.Tier.batch(r.providerBatchId());
        for (ProviderBatchRecord.Item i : r.items()) {
            InflightEntry e = entries.apply(i.key());
            ItemRef ref = itemBatch.get(i.key());
            if (e == null
                    || ref == null
                    || !r.id().equals(ref.batchId())
                    || !i.stamp().equals(ProviderBatchRecord.stamp(e))) {
                continue; // the job left or was replaced meanwhile: this result is not its
            }
            itemBatch.remove(i.key());
            AttemptOutcome outcome = outcomes.apply(i);
            long startedAt = r.submittedAt() > 0 ? r.submittedAt() : r.createdAt();
            done.add(new Finished(
                    i.key(),
                    e,
                    new FinishedCall(
                            i.key(),
                            0,
                            outcome,
                            r.keyName(),
                            startedAt,
                            Math.max(0, now - startedAt),
                            completions.get(i.customId()),
                            tier)));
        }
        store.delete(r.id());
    }

    private BatchApi api(Live l) {
        return services.batchApis().get(l.record.provider());
    }

    private Optional<Secret> secret(ProviderBatchRecord r) {
        if (r.keyName() == null) {
            return Optional.empty();
        }
        return services.providers().get(r.provider()).keys().stream()
                .filter(k -> k.name().equals(r.keyName()))
                .findFirst()
                .flatMap(KeyConfig::value);
    }

    /** The task closed: off-thread answers still under way are dropped (the next owner resumes from the store). */
    void close() {
        incarnation++;
        open.clear();
        live.clear();
        itemBatch.clear();
        calls.clear();
    }
}
