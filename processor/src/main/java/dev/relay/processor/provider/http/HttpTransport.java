package dev.relay.processor.provider.http;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * The HTTP transport of one provider: a pool of JDK {@link HttpClient}s sharing a virtual-thread executor.
 *
 * <p>Why a pool: on HTTP/2 a JDK client keeps one connection per origin and fails streams beyond the server's
 * {@code MAX_CONCURRENT_STREAMS} with "too many concurrent streams" instead of opening another connection
 * (JDK-8225647). So each client carries at most {@code maxStreamsPerClient} exchanges; overflow goes to the next
 * client (created on demand, kept for reuse). When the server refuses a stream anyway ("too many concurrent streams":
 * its limit is below the cap), the transport learns the limit from the refused client's load, lowers the cap of that
 * client and of new ones to it, and retries the exchange on another client (at most {@value #STREAM_RETRIES} times). On HTTP/1.1 (plain {@code http} base URLs) one client opens a connection per concurrent call and keeps
 * them for reuse, so there is a single client without a cap.
 */
public final class HttpTransport implements AutoCloseable {

    /** How clients are built. {@code sslContext} null means the JDK default trust store. */
    public record Settings(int maxStreamsPerClient, Duration connectTimeout, SSLContext sslContext) {
        public static final int DEFAULT_MAX_STREAMS_PER_CLIENT = 64;
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

        public static Settings defaults() {
            return new Settings(DEFAULT_MAX_STREAMS_PER_CLIENT, DEFAULT_CONNECT_TIMEOUT, null);
        }
    }

    private final Settings settings;
    private final HttpClient.Version version;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Slot> slots = new CopyOnWriteArrayList<>();

    static final int STREAM_RETRIES = 10;

    /** Streams per client: the configured cap, lowered to what a server was seen to accept. */
    private volatile int cap;

    public HttpTransport(Settings settings, HttpClient.Version version) {
        this.settings = settings;
        this.version = version;
        this.cap = version == HttpClient.Version.HTTP_1_1 ? Integer.MAX_VALUE : settings.maxStreamsPerClient();
    }

    /** Number of clients (so, on HTTP/2, connections per origin) opened so far. */
    public int clientCount() {
        return slots.size();
    }

    /** Exchanges currently on the wire (a cancelled one counts until the client has really let it go). */
    public int inFlight() {
        return slots.stream().mapToInt(s -> s.inFlight.get()).sum();
    }

    /**
     * Sends {@code request}. Cancelling the returned future cancels the underlying {@code sendAsync} future, which
     * aborts the exchange; the client's slot is released only when that exchange has ended.
     */
    public CompletableFuture<HttpResponse<byte[]>> send(HttpRequest request) {
        return send(request, request.timeout().orElse(null));
    }

    /**
     * Sends {@code request}, with {@code total} (null: none) bounding the whole exchange, body included; the
     * request's own timeout bounds the wait for the response headers (the first byte of the answer).
     */
    public CompletableFuture<HttpResponse<byte[]>> send(HttpRequest request, Duration total) {
        return send(request, HttpResponse.BodyHandlers.ofByteArray(), total, null);
    }

    /**
     * Sends {@code request} for a streamed answer: the future completes with the headers and a body to read as it
     * arrives. The exchange counts against its client until {@code bodyDone} completes (the reader closed the body),
     * so a long stream holds its HTTP/2 stream slot as long as it really lasts.
     */
    public CompletableFuture<HttpResponse<java.io.InputStream>> stream(
            HttpRequest request, CompletableFuture<Void> bodyDone) {
        return send(request, HttpResponse.BodyHandlers.ofInputStream(), null, bodyDone);
    }

    private <T> CompletableFuture<HttpResponse<T>> send(
            HttpRequest request,
            HttpResponse.BodyHandler<T> handler,
            Duration total,
            CompletableFuture<Void> bodyDone) {
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        AtomicReference<CompletableFuture<?>> raw = new AtomicReference<>();
        // The JDK's request timeout ends when the response headers arrive: a body that stalls afterwards would hold
        // the call (and its permit) for as long as the server keeps the connection open. So the total timeout
        // is enforced here over the whole exchange, body included (a TimeoutException, classified as TIMEOUT).
        if (total != null) {
            result.orTimeout(total.toMillis(), TimeUnit.MILLISECONDS);
        }
        attempt(request, handler, result, raw, STREAM_RETRIES, null, bodyDone);
        result.whenComplete((r, e) -> {
            if (e != null) { // cancelled or timed out: end the exchange (no-op when it is what failed)
                CompletableFuture<?> current = raw.get();
                if (current != null) {
                    current.cancel(true);
                }
            }
        });
        return result;
    }

    private <T> void attempt(
            HttpRequest request,
            HttpResponse.BodyHandler<T> handler,
            CompletableFuture<HttpResponse<T>> result,
            AtomicReference<CompletableFuture<?>> raw,
            int retriesLeft,
            Slot refused,
            CompletableFuture<Void> bodyDone) {
        Slot slot = acquire(request, refused);
        if (slot.ready.isDone()) {
            exchange(slot, request, handler, result, raw, retriesLeft, bodyDone);
        } else {
            slot.ready.whenComplete((v, e) -> exchange(slot, request, handler, result, raw, retriesLeft, bodyDone));
        }
    }

    private <T> void exchange(
            Slot slot,
            HttpRequest request,
            HttpResponse.BodyHandler<T> handler,
            CompletableFuture<HttpResponse<T>> result,
            AtomicReference<CompletableFuture<?>> raw,
            int retriesLeft,
            CompletableFuture<Void> bodyDone) {
        if (result.isDone()) { // cancelled while waiting for the connection
            slot.inFlight.decrementAndGet();
            return;
        }
        CompletableFuture<HttpResponse<T>> exchange = slot.client.sendAsync(request, handler);
        raw.set(exchange);
        if (result.isCancelled()) {
            exchange.cancel(true);
        }
        exchange.whenComplete((response, error) -> {
            if (error == null && bodyDone != null) {
                bodyDone.whenComplete((v, e) -> slot.inFlight.decrementAndGet()); // a stream's body is still open
                if (!result.complete(response)) { // nobody will read it (cancelled, timed out): end the exchange
                    if (response.body() instanceof AutoCloseable body) {
                        try {
                            body.close();
                        } catch (Exception ignored) {
                            // closing aborts the exchange; a failure to do so changes nothing
                        }
                    }
                    bodyDone.complete(null);
                }
                return;
            }
            int load = slot.inFlight.getAndDecrement();
            if (error == null) {
                result.complete(response);
            } else if (retriesLeft > 0 && !result.isDone() && tooManyStreams(error)) {
                learnLimit(slot, load);
                attempt(request, handler, result, raw, retriesLeft - 1, slot, bodyDone);
            } else {
                result.completeExceptionally(error);
            }
        });
    }

    /**
     * The server refused a stream while {@code load} were in flight on {@code slot}: it accepts fewer than that. In a
     * burst many refusals arrive with the load still high, so the limit halves rather than stepping down by one; it
     * settles within a few refusals at no less than half the server's real limit (more clients, never refusals).
     */
    private void learnLimit(Slot slot, int load) {
        int limit = Math.max(1, Math.min(slot.limit, load / 2));
        slot.limit = limit;
        if (limit < cap) {
            cap = limit;
        }
    }

    /** A client with room for one more exchange, other than {@code avoid} (the one that just refused it). */
    private Slot acquire(HttpRequest request, Slot avoid) {
        for (Slot s : slots) {
            if (s != avoid && s.tryAcquire()) {
                return s;
            }
        }
        synchronized (this) {
            for (Slot s : slots) {
                if (s != avoid && s.tryAcquire()) {
                    return s;
                }
            }
            Slot s = new Slot(newClient(), cap);
            s.inFlight.incrementAndGet();
            warmUp(s, request);
            slots.add(s);
            return s;
        }
    }

    /**
     * Opens a new client's HTTP/2 connection with a HEAD to the origin before its calls go out: the JDK client opens
     * one connection per request started before the first one is established, so a burst on a fresh client would
     * otherwise cost a TLS handshake per call. Any answer, even an error, ends the wait.
     */
    private void warmUp(Slot slot, HttpRequest request) {
        if (version != HttpClient.Version.HTTP_2
                || !"https".equals(request.uri().getScheme())) {
            slot.ready.complete(null);
            return;
        }
        java.net.URI origin = request.uri().resolve("/");
        HttpRequest head = HttpRequest.newBuilder(origin)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(settings.connectTimeout())
                .build();
        slot.client
                .sendAsync(head, HttpResponse.BodyHandlers.discarding())
                .whenComplete((r, e) -> slot.ready.complete(null));
    }

    private HttpClient newClient() {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(version)
                .executor(executor)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (settings.sslContext() != null) {
            b.sslContext(settings.sslContext());
        }
        return b.build();
    }

    private static boolean tooManyStreams(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException
                    && t.getMessage() != null
                    && t.getMessage().toLowerCase(Locale.ROOT).contains("too many concurrent streams")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        for (Slot s : slots) {
            s.client.shutdownNow();
        }
        slots.clear();
        executor.shutdownNow();
    }

    private static final class Slot {
        final HttpClient client;
        final AtomicInteger inFlight = new AtomicInteger();
        /** Streams this client may carry; lowered when its server refuses one. */
        volatile int limit;
        /** Completes once the client's connection is open (at once on HTTP/1.1). */
        final CompletableFuture<Void> ready = new CompletableFuture<>();

        Slot(HttpClient client, int limit) {
            this.client = client;
            this.limit = limit;
        }

        boolean tryAcquire() {
            while (true) {
                int n = inFlight.get();
                if (n >= limit) {
                    return false;
                }
                if (inFlight.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }
    }
}
