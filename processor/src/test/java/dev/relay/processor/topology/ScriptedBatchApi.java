package dev.relay.processor.topology;

import dev.relay.config.Secret;
import dev.relay.processor.provider.batch.BatchApi;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A provider batch API in memory: records each submit; a batch runs until the test ends it with its results. */
final class ScriptedBatchApi implements BatchApi {

    record Submit(String marker, String model, List<Item> items, String id) {}

    final List<Submit> submits = new ArrayList<>();
    final Map<String, List<ItemResult>> ended = new ConcurrentHashMap<>();
    int polls;
    int finds;
    final List<String> cancels = new ArrayList<>();
    /** How many of the next cancel calls fail (a connection reset). */
    int cancelFailures;

    private final String prefix;

    ScriptedBatchApi(String prefix) {
        this.prefix = prefix;
    }

    /** The provider batch {@code id} has ended with {@code results}. */
    void end(String id, List<ItemResult> results) {
        ended.put(id, results);
    }

    Submit last() {
        return submits.get(submits.size() - 1);
    }

    @Override
    public synchronized String cancel(String providerBatchId, Optional<Secret> key) throws IOException {
        cancels.add(providerBatchId);
        if (cancelFailures > 0) {
            cancelFailures--;
            throw new IOException("Connection reset");
        }
        return "cancelling";
    }

    @Override
    public synchronized String submit(String marker, String model, List<Item> items, Optional<Secret> key) {
        String id = prefix + submits.size();
        submits.add(new Submit(marker, model, List.copyOf(items), id));
        return id;
    }

    @Override
    public synchronized Lookup find(String marker, Instant since, Set<String> customIds, Optional<Secret> key) {
        finds++;
        return submits.stream()
                .filter(s -> s.marker().equals(marker))
                .map(s -> (Lookup) new Lookup.Found(s.id()))
                .findFirst()
                .orElse(new Lookup.NotFound());
    }

    @Override
    public synchronized Poll poll(String providerBatchId, Optional<Secret> key) {
        polls++;
        List<ItemResult> r = ended.get(providerBatchId);
        return r == null ? new Poll.Running("in_progress") : new Poll.Ended("completed", r);
    }
}
