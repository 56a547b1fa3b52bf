package dev.relay.ingress.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes a {@code text/event-stream} answer, flushing each event so it leaves at once. */
final class SseWriter {

    private final OutputStream out;

    private SseWriter(OutputStream out) {
        this.out = out;
    }

    /** Commits the response: 200 and the event-stream headers. */
    static SseWriter start(Context ctx) throws IOException {
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        out.flush();
        return new SseWriter(out);
    }

    void event(long id, String data) throws IOException {
        write("id: " + id + "\ndata: " + data + "\n\n");
    }

    void data(String data) throws IOException {
        write("data: " + data + "\n\n");
    }

    void error(String data) throws IOException {
        write("event: error\ndata: " + data + "\n\n");
    }

    void done() throws IOException {
        write("data: [DONE]\n\n");
    }

    void comment(String text) throws IOException {
        write(": " + text + "\n\n");
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
