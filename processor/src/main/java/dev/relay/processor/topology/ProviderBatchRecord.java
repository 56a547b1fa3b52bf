package dev.relay.processor.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One provider batch as the hop's changelogged provider-batch store keeps it (JSON, keyed by {@code id}): Relay's id
 * for it (also the marker sent with it), the provider, model and key name (never the key), its items (the custom_id
 * each has in the provider batch, its job id, and the stamp of the job's in-flight entry when it joined), and the
 * provider's batch id once the submit returned. {@code providerBatchId} null means the submit is intended and may or
 * may not have reached the provider.
 */
record ProviderBatchRecord(
        String id,
        String provider,
        String model,
        String keyName,
        long createdAt,
        String providerBatchId,
        long submittedAt,
        List<Item> items) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An item: its custom_id in the provider batch, its job id (the in-flight store's key) and its entry's stamp. */
    record Item(String customId, String key, String stamp) {}

    ProviderBatchRecord {
        items = List.copyOf(items);
    }

    ProviderBatchRecord submitted(String batchId, long at) {
        return new ProviderBatchRecord(id, provider, model, keyName, createdAt, batchId, at, items);
    }

    /** What identifies an in-flight entry's incarnation: a newer record for the job, or a retry, changes it. */
    static String stamp(InflightEntry e) {
        return e.job().getReplayGeneration() + ":" + e.job().getAttempts().size() + ":" + e.attemptsOnTarget();
    }

    String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id).put("provider", provider).put("model", model).put("key", keyName);
        n.put("created_at", createdAt).put("provider_batch_id", providerBatchId).put("submitted_at", submittedAt);
        ArrayNode a = n.putArray("items");
        for (Item i : items) {
            a.addArray().add(i.customId()).add(i.key()).add(i.stamp());
        }
        return n.toString();
    }

    static ProviderBatchRecord fromJson(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            List<Item> items = new ArrayList<>();
            for (JsonNode i : n.path("items")) {
                items.add(
                        new Item(i.get(0).asText(), i.get(1).asText(), i.get(2).asText()));
            }
            return new ProviderBatchRecord(
                    n.path("id").asText(),
                    n.path("provider").asText(),
                    n.path("model").asText(),
                    n.path("key").isNull() ? null : n.path("key").asText(),
                    n.path("created_at").asLong(),
                    n.path("provider_batch_id").isNull()
                            ? null
                            : n.path("provider_batch_id").asText(),
                    n.path("submitted_at").asLong(),
                    items);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable provider batch record", e);
        }
    }
}
