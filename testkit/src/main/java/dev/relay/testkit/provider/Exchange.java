package dev.relay.testkit.provider;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;

/**
 * The response side of one request, for {@link Reply.Responder}s: set headers, then either send one body
 * ({@link #json}), or {@link #start} a body and write it piece by piece (flush after each piece to push it out, for
 * example one SSE {@code data: ...\n\n} event), or {@link #cut} the connection at any point.
 */
public final class Exchange {

    private final org.eclipse.jetty.server.Request request;
    private final Response response;
    private int status = Request.NO_ANSWER;
    private OutputStream body;
    private boolean cut;

    Exchange(org.eclipse.jetty.server.Request request, Response response) {
        this.request = request;
        this.response = response;
    }

    /** Adds a response header (before {@link #start} or {@link #json}). */
    public Exchange header(String name, String value) {
        response.getHeaders().add(name, value);
        return this;
    }

    /** Sends {@code status} and the JSON body (Content-Type application/json unless already set). */
    public void json(int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (!response.getHeaders().contains(HttpHeader.CONTENT_TYPE)) {
            header("Content-Type", "application/json");
        }
        OutputStream out = start(status, bytes.length);
        out.write(bytes);
        out.close();
    }

    /**
     * Starts the answer: {@code length} is the Content-Length, or 0 for a chunked body of unknown length (a stream).
     * Returns the body's stream; {@code flush()} sends what was written at once, {@code close()} ends the answer.
     */
    public OutputStream start(int status, long length) {
        if (body != null) {
            throw new IllegalStateException("the answer was already started");
        }
        this.status = status;
        response.setStatus(status);
        if (length > 0) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
        }
        body = Content.Sink.asOutputStream(response);
        return body;
    }

    /** Starts a {@code text/event-stream} answer (chunked); write events as {@code data: ...\n\n} and flush each. */
    public OutputStream startEventStream(int status) {
        header("Content-Type", "text/event-stream");
        header("Cache-Control", "no-cache");
        return start(status, 0);
    }

    /**
     * Closes the connection now. Before {@link #start} the client gets no answer at all (a network failure); after
     * it, the body ends early (a cut stream, a truncated body).
     */
    public void cut() {
        cut = true;
        if (body == null) {
            status = Request.NO_ANSWER;
        } else {
            try {
                body.flush();
            } catch (IOException e) {
                // the client is gone already
            }
        }
        request.getConnectionMetaData().getConnection().getEndPoint().close();
    }

    /** The status sent, or {@link Request#NO_ANSWER} when nothing was sent. */
    int status() {
        return status;
    }

    boolean wasCut() {
        return cut;
    }

    /** Ends the answer if the responder left it open; a responder that never started one cut the connection. */
    void finish() throws IOException {
        if (cut) {
            return;
        }
        if (body == null) {
            cut();
        } else {
            body.close();
        }
    }
}
