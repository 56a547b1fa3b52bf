package dev.relay.ingress.dashboard;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's files, served from the jar: the page at {@code /}, its hand-written modules under
 * {@code /dashboard/}, and ECharts from its WebJar. No build step, nothing fetched from a CDN.
 */
final class Assets {

    static final String ECHARTS = "/META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";
    private static final Map<String, String> TYPES = Map.of(
            "js",
            "text/javascript; charset=utf-8",
            "css",
            "text/css; charset=utf-8",
            "html",
            "text/html; charset=utf-8",
            "png",
            "image/png",
            "svg",
            "image/svg+xml");

    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    void register(Javalin app) {
        app.get("/", ctx -> send(ctx, "/dashboard/index.html"));
        app.get("/dashboard/lib/echarts.min.js", ctx -> send(ctx, ECHARTS));
        app.get("/dashboard/{file}", ctx -> {
            String file = ctx.pathParam("file");
            if (!file.matches("[a-z0-9_-]+\\.(js|css|png|svg)")) {
                ctx.status(404);
                return;
            }
            send(ctx, "/dashboard/" + file);
        });
    }

    private void send(Context ctx, String resource) throws IOException {
        byte[] body = cache.get(resource);
        if (body == null) {
            try (InputStream in = Assets.class.getResourceAsStream(resource)) {
                if (in == null) {
                    ctx.status(404);
                    return;
                }
                body = in.readAllBytes();
            }
            cache.put(resource, body);
        }
        String ext = resource.substring(resource.lastIndexOf('.') + 1);
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(TYPES.getOrDefault(ext, "application/octet-stream")).result(body);
    }
}
