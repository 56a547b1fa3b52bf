package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Supplier;

/** Health, metrics and the OpenAPI document. */
public final class OpsHandler {

    private final Supplier<Map<String, Boolean>> readiness;
    private final PrometheusMeterRegistry prometheus;
    private final ObjectMapper json;
    private final byte[] openApi;

    public OpsHandler(Supplier<Map<String, Boolean>> readiness, PrometheusMeterRegistry prometheus, ObjectMapper json) {
        this.readiness = readiness;
        this.prometheus = prometheus;
        this.json = json;
        try (InputStream in = OpsHandler.class.getResourceAsStream("/openapi.json")) {
            this.openApi = in == null ? "{}".getBytes() : in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read openapi.json", e);
        }
    }

    public void live(Context ctx) {
        Responses.json(ctx, 200, json.createObjectNode().put("status", "ok"), json);
    }

    public void ready(Context ctx) {
        Map<String, Boolean> checks = readiness.get();
        boolean ok = checks.values().stream().allMatch(Boolean::booleanValue);
        ObjectNode out = json.createObjectNode().put("status", ok ? "ok" : "unavailable");
        ObjectNode c = out.putObject("checks");
        checks.forEach((k, v) -> c.put(k, v ? "ok" : "failing"));
        Responses.json(ctx, ok ? 200 : 503, out, json);
    }

    public void metrics(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(prometheus.scrape());
    }

    public void openApi(Context ctx) {
        ctx.contentType("application/json").result(openApi);
    }
}
