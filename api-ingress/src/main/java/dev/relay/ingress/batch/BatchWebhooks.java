package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.webhook.WebhookSender;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a webhook when a batch ends (completed, failed, expired, cancelled): the batch's {@code metadata.webhook_url},
 * or {@code webhooks.batch_url} from the config. Once a second it looks at the batches whose webhook is not done yet;
 * only the instance that owns a batch (see {@code WebhookDispatcher.owns}) sends, with the same signer, retries and
 * SSRF guard as job webhooks ({@link WebhookSender}). The outcome is written into the batch's catalog record, so a
 * restart or another instance never sends an ended delivery again; a delivery cut by a restart is redone
 * (at least once; receivers dedupe on {@code webhook-id}).
 */
public final class BatchWebhooks implements AutoCloseable {

    /** The metadata key a batch names its webhook with. */
    public static final String METADATA_KEY = "webhook_url";

    private static final Logger LOG = LoggerFactory.getLogger(BatchWebhooks.class);
    private static final Set<String> DONE = Set.of("delivered", "gave_up", "refused");

    private final Catalog catalog;
    private final Batches batches;
    private final WebhookSender sender;
    private final Optional<String> configUrl;
    private final Predicate<String> owns;
    private final ObjectMapper json;
    private final Clock clock;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;

    public BatchWebhooks(
            Catalog catalog,
            Batches batches,
            WebhookSender sender,
            Optional<String> configUrl,
            Predicate<String> owns,
            ObjectMapper json,
            Clock clock) {
        this.catalog = catalog;
        this.batches = batches;
        this.sender = sender;
        this.configUrl = configUrl;
        this.owns = owns;
        this.json = json;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("relay-batch-webhooks").daemon().unstarted(this::run);
    }

    public BatchWebhooks start() {
        thread.start();
        return this;
    }

    private void run() {
        while (running) {
            try {
                scan();
                Thread.sleep(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("batch webhook scan failed; trying again", e);
            }
        }
    }

    /** One pass over the batches; public for tests. */
    public void scan() {
        for (ObjectNode record : catalog.list("batch")) {
            String id = record.path("id").asText();
            String url = url(record).orElse(null);
            if (url == null
                    || DONE.contains(
                            record.path("relay").path("webhook").path("state").asText())
                    || inFlight.contains(id)
                    || !owns.test(id)) {
                continue;
            }
            ObjectNode batch = batches.render(record);
            String status = batch.path("status").asText();
            if (!Batches.isEnded(status)) {
                continue;
            }
            inFlight.add(id);
            Thread.ofVirtual().name("batch-webhook-" + id).start(() -> deliver(id, url, status, batch));
        }
    }

    private Optional<String> url(ObjectNode record) {
        String own = Batches.textOrNull(record.path("metadata").get(METADATA_KEY));
        return own != null ? Optional.of(own) : configUrl;
    }

    private void deliver(String id, String url, String status, ObjectNode batch) {
        String webhookId = "whk_" + id;
        try {
            ObjectNode envelope = json.createObjectNode();
            envelope.put("type", "batch." + status);
            envelope.put("timestamp", Instant.ofEpochMilli(clock.millis()).toString());
            envelope.set("data", batch);
            WebhookSender.Outcome o = sender.deliver(url, webhookId, envelope.toString(), attempts -> {});
            if (o.state() != WebhookSender.State.DELIVERED) {
                LOG.warn(
                        "batch webhook {} for {} ended {} after {} attempts",
                        webhookId,
                        id,
                        o.state(),
                        o.attempts().size());
            }
            record(id, webhookId, url, o.state().name().toLowerCase(Locale.ROOT), o.attempts());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("batch webhook {} failed unexpectedly; it is tried again", webhookId, e);
        } finally {
            inFlight.remove(id);
        }
    }

    private void record(String id, String webhookId, String url, String state, List<WebhookSender.Attempt> attempts) {
        ObjectNode record = catalog.get(id).orElse(null);
        if (record == null) {
            return;
        }
        ObjectNode relay = record.has("relay") ? (ObjectNode) record.get("relay") : record.putObject("relay");
        ObjectNode w = relay.putObject("webhook");
        w.put("webhook_id", webhookId);
        w.put("url", url);
        w.put("state", state);
        w.put("updated_at", clock.millis());
        ArrayNode a = w.putArray("attempts");
        attempts.forEach(
                x -> a.addObject().put("at", x.at()).put("status", x.status()).put("error", x.error()));
        catalog.put(id, record);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
