package dev.relay.testkit.provider;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fake provider's HTTP/1.1 server: plain sockets, one virtual thread per connection, keep-alive. Written here
 * rather than taken from a library because a fake must misbehave on purpose (close a socket before or in the middle
 * of an answer, stream chunks at its own pace), and because it must not bring an HTTP server of its own onto the
 * classpaths of the modules it serves (the ingress's Javalin runs on one Jetty, the processor's HTTP/2 test on
 * another).
 */
final class Http1Server implements AutoCloseable {

    /** One parsed request line, its headers (names in lower case) and its body. */
    record Raw(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {}

    /** Answers one request on {@code out}; the connection stays open for the next unless the handler cut it. */
    interface Handler {
        void handle(Raw request, Socket socket, OutputStream out) throws IOException;
    }

    private static final int MAX_LINE = 64 * 1024;

    private final ServerSocket server;
    private final Handler handler;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    Http1Server(Handler handler) throws IOException {
        this.handler = handler;
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16_384);
        Thread.ofVirtual().name("fake-provider-accept").start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                open.add(socket);
                Thread.ofVirtual().name("fake-provider-conn").start(() -> serve(socket));
            } catch (IOException e) {
                if (!closed) {
                    continue; // one failed accept does not stop the server
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            while (!closed && !socket.isClosed()) {
                Raw request = read(in);
                if (request == null) {
                    return; // the client closed its connection
                }
                handler.handle(request, socket, out);
                if ("close".equalsIgnoreCase(first(request.headers(), "connection"))) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away, or the handler cut the connection
        } finally {
            open.remove(socket);
        }
    }

    private static Raw read(InputStream in) throws IOException {
        String line = line(in);
        while (line != null && line.isEmpty()) {
            line = line(in); // tolerate stray CRLF between requests
        }
        if (line == null) {
            return null;
        }
        String[] parts = line.split(" ");
        if (parts.length < 2) {
            throw new IOException("bad request line: " + line);
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(h.substring(colon + 1).trim());
            }
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(first(headers, "transfer-encoding"))) {
            body = chunked(in);
        } else {
            String length = first(headers, "content-length");
            body = in.readNBytes(length == null ? 0 : Integer.parseInt(length));
        }
        String target = parts[1];
        int q = target.indexOf('?');
        String path = URLDecoder.decode(
                (q < 0 ? target : target.substring(0, q)).replace("+", "%2B"), StandardCharsets.UTF_8);
        return new Raw(parts[0], path, q < 0 ? "" : target.substring(q + 1), headers, body);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                throw new IOException("the chunked body ended early");
            }
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                for (String trailer = line(in); trailer != null && !trailer.isEmpty(); trailer = line(in)) {
                    // trailers are read and dropped
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            line(in);
        }
    }

    /** One line without its CRLF, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            if (line.size() > MAX_LINE) {
                throw new IOException("line too long");
            }
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closed either way
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }
}
