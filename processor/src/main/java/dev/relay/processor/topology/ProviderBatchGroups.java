package dev.relay.processor.topology;

import dev.relay.config.BatchSettings;
import dev.relay.config.KeyConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.schemas.Job;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The forming of provider batches in one hop task: which jobs go to a provider batch ({@link #accepts}), the open
 * group of each provider, model and key they join ({@link #add}), and, once a group is due ({@code max_items} or
 * {@code max_wait}, whichever comes first), the provider batches of at most {@code max_items} it is sealed into
 * ({@link #seal}). Stream thread only; nothing here is stored until it is sealed.
 */
final class ProviderBatchGroups {

    private record GroupKey(String provider, String model, String keyName) {}

    private static final class Group {
        final long firstAt;
        final LinkedHashMap<String, String> stamps = new LinkedHashMap<>();

        Group(long firstAt) {
            this.firstAt = firstAt;
        }
    }

    private final int hop;
    private final FallbackServices services;
    private final Map<GroupKey, Group> open = new LinkedHashMap<>();

    ProviderBatchGroups(int hop, FallbackServices services) {
        this.hop = hop;
        this.services = services;
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

    /** A newer record replaced the job: it leaves the open group it was in. */
    void forget(String key) {
        open.values().forEach(g -> g.stamps.remove(key));
    }

    /** Takes out the groups that are due and returns the provider batches they are sealed into (none stored yet). */
    List<ProviderBatchRecord> seal(long now) {
        List<ProviderBatchRecord> sealed = new ArrayList<>();
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
                sealed.add(new ProviderBatchRecord(
                        id,
                        g.getKey().provider(),
                        g.getKey().model(),
                        g.getKey().keyName(),
                        now,
                        null,
                        0,
                        items));
            }
        }
        return sealed;
    }

    /** The job id when a provider accepts it as a custom_id (both take 1-64 of [A-Za-z0-9_-]), else the index. */
    private static String customId(String key, int index) {
        return key.matches("[A-Za-z0-9_-]{1,64}") ? key : "item-" + index;
    }

    void clear() {
        open.clear();
    }
}
