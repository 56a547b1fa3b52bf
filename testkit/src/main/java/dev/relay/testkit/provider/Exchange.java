package dev.relay.testkit.provider;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The response side of one request, for {@link Reply.Responder}s: set headers, then either send one body
 * ({@link #json}), or {@link #start} a body and write it piece by piece (flush after each piece to push it out, for
 * example one SSE {@code data: ...\n\n} event), or {@link #cut} the connection at any point.
 */
public final class Exchange {

    private final Socket socket;
    private final OutputStream out;
    private final Request request;
    private final List<String[]> headers = new ArrayList<>();
    private int status = Request.NO_ANSWER;
    private OutputStream body;
    private boolean cut;

    Exchange(Socket socket, OutputStream out, Request request) {
        this.socket = socket;
        this.out = out;
        this.request = request;
    }

    /** Adds a response header (before {@link #start} or {@link #json}). */
    public Exchange header(String name, String value) {
        if (body != null) {
            throw new IllegalStateException("the answer was already started");
        }
        headers.add(new String[] {name, value});
        return this;
    }

    /** Sends {@code status} and the JSON body (Content-Type application/json unless already set). */
    public void json(int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (headers.stream().noneMatch(h -> h[0].equalsIgnoreCase("Content-Type"))) {
            header("Content-Type", "application/json");
        }
        OutputStream o = start(status, bytes.length == 0 ? -1 : bytes.length);
        o.write(bytes);
        o.close();
    }

    /**
     * Starts the answer: {@code length} is the Content-Length ({@code > 0}), 0 for a chunked body of unknown length
     * (a stream), or -1 for no body. Returns the body's stream; {@code flush()} sends what was written at once,
     * {@code close()} ends the answer.
     */
    public OutputStream start(int status, long length) throws IOException {
        if (body != null) {
            throw new IllegalStateException("the answer was already started");
        }
        this.status = status;
        request.answered(status); // before the caller can see the answer, so a test that has it finds it recorded
        StringBuilder head = new StringBuilder("HTTP/1.1 ")
                .append(status)
                .append(' ')
                .append(reason(status))
                .append("\r\n");
        for (String[] h : headers) {
            head.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        if (length > 0) {
            head.append("Content-Length: ").append(length).append("\r\n");
        } else if (length == 0) {
            head.append("Transfer-Encoding: chunked\r\n");
        } else {
            head.append("Content-Length: 0\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        body = length == 0 ? new Chunked(out) : new Plain(out);
        return body;
    }

    /** Starts a {@code text/event-stream} answer (chunked); write events as {@code data: ...\n\n} and flush each. */
    public OutputStream startEventStream(int status) throws IOException {
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
        try {
            out.flush();
        } catch (IOException e) {
            // the client is gone already
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closed either way
        }
    }

    /**
     * Resets the connection (a TCP RST, nothing sent): the client sees "connection reset", as from a crashed proxy,
     * where {@link #cut} ends it in order.
     */
    public void reset() {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // closed either way
        }
        cut();
    }

    /** The status sent, or {@link Request#NO_ANSWER} when nothing was sent. */
    int status() {
        return cut && body == null ? Request.NO_ANSWER : status;
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
            out.flush();
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Status " + status;
        };
    }

    /** A body of known length: bytes go straight to the socket's buffer; close() flushes. */
    private static final class Plain extends OutputStream {
        private final OutputStream out;

        Plain(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }

    /** A chunked body: each write is one chunk; close() writes the last chunk. */
    private static final class Chunked extends OutputStream {
        private final OutputStream out;
        private boolean closed;

        Chunked(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b, off, len);
            out.write(CRLF);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        }

        private static final byte[] CRLF = {'\r', '\n'};
    }
}
