package dev.relay.ingress.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.KeyConfig;
import dev.relay.config.PluginConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.Responses;
import dev.relay.ingress.logstore.JobQuery;
import dev.relay.ingress.logstore.LogQueries;
import dev.relay.ingress.logstore.LogStore;
import dev.relay.replay.ChainSpec;
import dev.relay.replay.ReplayException;
import dev.relay.replay.ReplayService;
import dev.relay.schemas.Target;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The dashboard's JSON API under {@code /api/dashboard}: reads come from the log store, queue depth from the broker,
 * actions go through the replay tool's logic and the webhook sender. Nothing here reads or writes a key value: the
 * provider view lists keys by name.
 */
public final class DashboardApi {

    public static final String PREFIX = "/api/dashboard";

    private final LogStore store;
    private final RelayConfig config;
    private final DashboardAccess access;
    private final Supplier<java.util.Map<String, Long>> lag;
    private final ReplayRuns replays;
    private final Redeliveries redeliveries;
    private final ObjectMapper json;

    public DashboardApi(
            LogStore store,
            RelayConfig config,
            DashboardAccess access,
            Supplier<java.util.Map<String, Long>> lag,
            ReplayRuns replays,
            Redeliveries redeliveries,
            ObjectMapper json) {
        this.store = store;
        this.config = config;
        this.access = access;
        this.lag = lag;
        this.replays = replays;
        this.redeliveries = redeliveries;
        this.json = json;
    }

    public void register(Javalin app) {
        app.before(PREFIX + "/*", access::read);
        app.get(PREFIX + "/overview", inBackground(this::overview));
        app.get(PREFIX + "/jobs", inBackground(this::jobs));
        app.get(PREFIX + "/jobs/{id}", inBackground(this::job));
        app.get(PREFIX + "/batches", inBackground(ctx -> ok(ctx, q().batches(intParam(ctx, "limit", 100)))));
        app.get(
                PREFIX + "/webhooks",
                inBackground(ctx -> ok(ctx, q().webhooks(ctx.queryParam("state"), intParam(ctx, "limit", 100)))));
        app.get(PREFIX + "/deadletters", inBackground(ctx -> ok(ctx, q().deadLetters(intParam(ctx, "limit", 100)))));
        app.get(PREFIX + "/providers", inBackground(this::providers));
        app.get(PREFIX + "/store", inBackground(this::storeStatus));
        app.post(PREFIX + "/replay", inBackground(this::replay));
        app.get(PREFIX + "/replay/{run}", inBackground(this::replayStatus));
        app.post(PREFIX + "/webhooks/{id}/redeliver", inBackground(this::redeliver));
    }

    /**
     * Runs the handler on the log store's background threads (lowest CPU priority) while the request's virtual thread
     * waits, so a heavy query or a replay's dry run takes the CPU the request path leaves rather than its own.
     */
    private Handler inBackground(Handler handler) {
        return ctx -> {
            Future<?> done = store.background().submit(() -> {
                handler.handle(ctx);
                return null;
            });
            try {
                done.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            } catch (InterruptedException e) {
                done.cancel(true);
                throw e;
            }
        };
    }

    private LogQueries q() {
        return store.queries();
    }

    private void overview(Context ctx) {
        long window = longParam(ctx, "window_ms", 3_600_000L);
        long bucket = Math.max(1000, longParam(ctx, "bucket_ms", Math.max(1000, window / 60)));
        long since = System.currentTimeMillis() - window;
        ObjectNode out = q().overview(since, bucket);
        ObjectNode depth = out.putObject("queue_depth");
        lag.get().forEach(depth::put);
        out.put("store_caught_up", store.projector().caughtUp());
        ok(ctx, out);
    }

    static JobQuery query(Context ctx) {
        return new JobQuery(
                blank(ctx.queryParam("status")),
                blank(ctx.queryParam("provider")),
                blank(ctx.queryParam("model")),
                blank(ctx.queryParam("class")),
                intOrNull(ctx, "fallback"),
                longOrNull(ctx, "from"),
                longOrNull(ctx, "to"),
                blank(ctx.queryParam("batch")),
                blank(ctx.queryParam("tenant")),
                blank(ctx.queryParam("meta")),
                blank(ctx.queryParam("q")),
                longOrNull(ctx, "before"),
                intParam(ctx, "limit", 50));
    }

    private void jobs(Context ctx) {
        JobQuery query = query(ctx);
        long started = System.nanoTime();
        ArrayNode rows = q().jobs(query);
        ObjectNode out = json.createObjectNode();
        out.set("jobs", rows);
        out.put("query_ms", (System.nanoTime() - started) / 1_000_000.0);
        out.put("content_logging", config.logsStore().storeContent());
        ok(ctx, out);
    }

    private void job(Context ctx) {
        String id = ctx.pathParam("id");
        ObjectNode job = q().job(id)
                .orElseThrow(() -> new ApiException(
                        404, "invalid_request_error", null, "job_not_found", "No job " + id + " in the log store."));
        ok(ctx, job);
    }

    private void providers(Context ctx) {
        ObjectNode out = json.createObjectNode();
        ArrayNode providers = out.putArray("providers");
        for (ProviderConfig p : config.providers().values()) {
            ObjectNode n = providers.addObject();
            n.put("name", p.name());
            n.put("type", p.type());
            n.put("base_url", p.network().baseUrl().map(Object::toString).orElse(null));
            n.put("request_timeout_ms", p.network().requestTimeout().toMillis());
            n.put("max_retries", p.network().maxRetries());
            n.put("concurrency", p.concurrency());
            n.put("buffer_size", p.bufferSize());
            ArrayNode keys = n.putArray("keys");
            for (KeyConfig k : p.keys()) {
                ObjectNode kn = keys.addObject();
                kn.put("name", k.name());
                kn.put("configured", k.value().isPresent());
                kn.set("models", json.valueToTree(k.models()));
                kn.put("weight", k.weight());
            }
        }
        ArrayNode rules = out.putArray("mocker_rules");
        config.plugin("mocker").filter(PluginConfig::enabled).ifPresent(m -> {
            JsonNode r = m.config().json() == null ? null : m.config().json().path("rules");
            if (r != null && r.isArray()) {
                r.forEach(rules::add);
            }
        });
        out.set(
                "status",
                q().overview(System.currentTimeMillis() - 60_000, 60_000).get("providers"));
        ok(ctx, out);
    }

    private void storeStatus(Context ctx) {
        ObjectNode out = json.createObjectNode();
        out.put("type", config.logsStore().type());
        out.put("caught_up", store.projector().caughtUp());
        out.put("projected", store.projector().projected());
        out.put("undecodable", store.projector().undecodable());
        out.put("content_logging", config.logsStore().storeContent());
        out.set("rows", json.valueToTree(q().counts()));
        ok(ctx, out);
    }

    /** {@code {job_ids: [...], chain: "p/m,p/m", execute: bool, reason}}: a dry run unless execute. */
    private void replay(Context ctx) throws IOException {
        JsonNode body = ctx.body().isBlank() ? json.createObjectNode() : json.readTree(ctx.body());
        boolean execute = body.path("execute").asBoolean(false);
        if (execute) {
            access.admin(ctx);
        }
        Set<String> ids = new LinkedHashSet<>();
        body.path("job_ids").forEach(n -> ids.add(n.asText()));
        if (ids.isEmpty() || ids.size() > JobQuery.MAX_LIMIT) {
            throw new ApiException(
                    400,
                    "invalid_request_error",
                    "job_ids",
                    "invalid_selection",
                    "job_ids: select 1 to " + JobQuery.MAX_LIMIT + " jobs.");
        }
        List<Target> chain;
        try {
            String spec = body.path("chain").asText("");
            chain = spec.isBlank()
                    ? List.of()
                    : ChainSpec.parse(spec, config.kafka().maxHops() + 1);
        } catch (ReplayException e) {
            throw new ApiException(400, "invalid_request_error", "chain", "invalid_chain", e.getMessage());
        }
        for (Target t : chain) {
            if (!config.providers().containsKey(t.getProvider())) {
                throw new ApiException(
                        400,
                        "invalid_request_error",
                        "chain",
                        "unknown_provider",
                        "chain: provider \"" + t.getProvider() + "\" is not configured.");
            }
        }
        Instant since = earliest(ids);
        if (!execute) {
            ReplayService.Outcome o = replays.dryRun(ids, since, chain);
            ObjectNode out = json.createObjectNode();
            out.put("dry_run", true);
            out.set("rows", json.valueToTree(o.rows()));
            ok(ctx, out);
            return;
        }
        String run = replays.start(ids, since, chain, blank(body.path("reason").asText(null)));
        ok(ctx, json.createObjectNode().put("run_id", run).put("dry_run", false));
    }

    /** A little before the earliest selected job, so the scan of relay.failed starts where they are. */
    private Instant earliest(Set<String> ids) {
        long min = Long.MAX_VALUE;
        for (String id : ids) {
            var job = q().job(id);
            if (job.isPresent() && job.get().hasNonNull("submitted_at")) {
                min = Math.min(min, job.get().get("submitted_at").asLong());
            }
        }
        return min == Long.MAX_VALUE ? null : Instant.ofEpochMilli(min - 60_000);
    }

    private void replayStatus(Context ctx) {
        String run = ctx.pathParam("run");
        ok(
                ctx,
                replays.status(run)
                        .orElseThrow(() -> new ApiException(
                                404,
                                "invalid_request_error",
                                null,
                                "run_not_found",
                                "No replay run " + run + " on this instance.")));
    }

    private void redeliver(Context ctx) {
        access.admin(ctx);
        String id = ctx.pathParam("id");
        ok(ctx, json.createObjectNode().put("job_id", id).put("webhook_id", redeliveries.start(id)));
    }

    private void ok(Context ctx, JsonNode body) {
        Responses.json(ctx, 200, body, json);
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static int intParam(Context ctx, String name, int dflt) {
        Integer v = intOrNull(ctx, name);
        return v == null ? dflt : v;
    }

    private static long longParam(Context ctx, String name, long dflt) {
        Long v = longOrNull(ctx, name);
        return v == null ? dflt : v;
    }

    private static Integer intOrNull(Context ctx, String name) {
        Long v = longOrNull(ctx, name);
        return v == null ? null : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    private static Long longOrNull(Context ctx, String name) {
        String s = blank(ctx.queryParam(name));
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new ApiException(
                    400,
                    "invalid_request_error",
                    name,
                    "invalid_parameter",
                    name + ": expected a number, got \"" + s + "\"");
        }
    }
}
