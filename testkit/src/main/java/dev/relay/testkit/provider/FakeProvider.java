package dev.relay.testkit.provider;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scripted fake LLM provider for tests and benchmarks: a real HTTP/1.1 server on 127.0.0.1 (each connection on
 * its own virtual thread, so thousands of calls can wait at once) that speaks every dialect Relay's adapters call.
 *
 * <h2>Route table</h2>
 * Routes are matched in order; the first match answers. {@link #route(Route)} puts a new route in front.
 * <table>
 * <caption>the chat routes ({@link Route#CHAT})</caption>
 * <tr><th>method and path</th><th>dialect</th><th>who calls it</th></tr>
 * <tr><td>{@code POST /openai/deployments/{deployment}/chat/completions?api-version=...}</td><td>AZURE</td>
 *     <td>the {@code azure} adapter</td></tr>
 * <tr><td>{@code POST /v1/chat/completions}, {@code POST /{prefix}/v1/chat/completions}</td><td>OPENAI</td>
 *     <td>{@code openai}, {@code openai-compatible} (Groq, Mistral, ...), {@code openrouter}</td></tr>
 * <tr><td>{@code POST /v1/messages}</td><td>ANTHROPIC</td><td>{@code anthropic}</td></tr>
 * <tr><td>{@code POST /v1beta/models/{model}:generateContent}</td><td>GEMINI</td><td>{@code gemini}</td></tr>
 * <tr><td>{@code POST /v1beta/models/{model}:streamGenerateContent?alt=sse}</td><td>GEMINI</td><td>{@code gemini},
 *     streaming</td></tr>
 * </table>
 * A request no route matches gets a 404 in OpenAI's error shape (and is recorded).
 *
 * <h2>Scripting</h2>
 * Every chat route is answered by, in this order: the next {@link #enqueue enqueued} reply, else the
 * {@link #script script} (a function of the {@link Request}: its user/job id, model, text, headers), else
 * {@link Reply#ok()}. The {@link Reply} says what to send (a completion or an error in the request's dialect, a raw
 * body, a cut connection, a truncated body, a hang, or a hand-written {@link Reply.Responder answer}) and
 * {@link Reply#after after} how long; {@link #latency} adds a fixed delay to every answer.
 *
 * <pre>{@code
 * try (FakeProvider provider = FakeProvider.start()) {
 *     provider.enqueue(Reply.error(503), Reply.cut());                     // the first two calls fail
 *     provider.script(r -> r.text().contains("slow") ? Reply.ok().after(Duration.ofSeconds(2)) : Reply.ok());
 *     ... base_url = provider.baseUrl() ...
 *     assertThat(provider.requests()).extracting(Request::status).containsExactly(503, -1, 200);
 * }
 * }</pre>
 *
 * <h2>Recording</h2>
 * Every request is kept with its headers, body, arrival time and the status it got ({@link #requests()}), unless
 * {@link #recording(boolean) recording} is off (a long benchmark); the counters ({@link #count()},
 * {@link #concurrent()}, {@link #maxConcurrent()}) always run.
 *
 * <h2>Extending it</h2>
 * <ul>
 * <li>A new endpoint (OpenAI Files and Batches, Anthropic Message Batches): {@code provider.route(new Route("POST",
 * "/v1/batches", Dialect.OPENAI, request -> Reply.json(200, ...)))}; keep its state in the handler's own object.</li>
 * <li>A streamed answer (SSE): {@link StreamReply} writes each dialect's stream format (with cuts, stalls, error
 * events, malformed events, a missing end event); a request that asks for a stream and gets {@link Reply#ok} gets
 * its text as such a stream. Anything else: a {@link Reply.Responder} that calls {@link Exchange#startEventStream},
 * writes and flushes each event, and may {@link Exchange#cut} mid-stream.</li>
 * <li>A new chat dialect: a {@link Dialect} value (success and error bodies, where the user and text live) and a
 * {@link Route#chat} row.</li>
 * </ul>
 */
public final class FakeProvider implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FakeProvider.class);
    private static final Route NOT_FOUND = new Route(
            "ANY",
            "/",
            Dialect.OPENAI,
            r -> Reply.error(404, "invalid_request_error", "no fake route for " + r.method() + " " + r.path()));

    private final Http1Server server;
    private final List<Route> routes = new CopyOnWriteArrayList<>(Route.CHAT);
    private final Queue<Reply> queued = new ConcurrentLinkedQueue<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong count = new AtomicLong();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile Route.Handler script = r -> Reply.ok();
    private volatile Duration latency = Duration.ZERO;
    private volatile boolean recording = true;

    private FakeProvider() throws IOException {
        server = new Http1Server(this::serve);
    }

    /** Starts a provider on 127.0.0.1 and a free port, answering {@link Reply#ok()} until scripted otherwise. */
    public static FakeProvider start() {
        try {
            return new FakeProvider();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake provider", e);
        }
    }

    /** {@code http://127.0.0.1:PORT}: a provider's {@code base_url} (Relay appends the dialect's path). */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Answers the chat routes with {@code script} (after any enqueued replies). */
    public FakeProvider script(Route.Handler script) {
        this.script = script;
        return this;
    }

    /** Answers every chat request with {@code reply} (after any enqueued replies). */
    public FakeProvider reply(Reply reply) {
        return script(r -> reply);
    }

    /** The next chat requests get these replies, in order; then the script answers again. */
    public FakeProvider enqueue(Reply... replies) {
        queued.addAll(List.of(replies));
        return this;
    }

    /** Drops the enqueued replies no request has used yet (a test that failed before its calls leaves some). */
    public FakeProvider clearQueue() {
        queued.clear();
        return this;
    }

    /** A delay added to every answer (on top of a reply's own {@link Reply#after}). */
    public FakeProvider latency(Duration latency) {
        this.latency = latency;
        return this;
    }

    /** Keep every request ({@code true}, the default) or only count them (long benchmarks). */
    public FakeProvider recording(boolean recording) {
        this.recording = recording;
        return this;
    }

    /** Adds {@code route} in front of the table, so it wins over the routes already there. */
    public FakeProvider route(Route route) {
        routes.add(0, route);
        return this;
    }

    /** The route table, in matching order. */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** Every request recorded so far, in arrival order (a copy). */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** The recorded requests of one dialect. */
    public List<Request> requests(Dialect dialect) {
        return requests().stream().filter(r -> r.dialect() == dialect).toList();
    }

    /** How many recorded requests carried {@code user} (the job id, in tests and benchmarks). */
    public int requestsFor(String user) {
        synchronized (requests) {
            return (int) requests.stream().filter(r -> r.user().equals(user)).count();
        }
    }

    /** Forgets the recorded requests (the counters keep running). */
    public void clearRequests() {
        requests.clear();
    }

    /** Requests received so far, recorded or not. */
    public long count() {
        return count.get();
    }

    /** Requests being answered right now. */
    public int concurrent() {
        return concurrent.get();
    }

    /** The most requests ever answered at once. */
    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    /** Waits until the provider is closed, at most {@code max} (for {@link Reply#hang()}). */
    void awaitClose(Duration max) throws InterruptedException {
        closed.await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void serve(Http1Server.Raw raw, Socket socket, OutputStream out) throws IOException {
        long received = System.nanoTime();
        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
        count.incrementAndGet();
        Request request = request(raw, received);
        try {
            if (recording) {
                requests.add(request);
            }
            Reply reply = choose(request);
            long delayMs = latency.plus(reply.delay()).toMillis();
            if (delayMs > 0) {
                Thread.sleep(delayMs);
            }
            Exchange exchange = new Exchange(socket, out, request);
            try {
                reply.write(request, exchange, this);
                exchange.finish();
            } finally {
                request.answered(exchange.status());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            request.answered(Request.NO_ANSWER);
            socket.close();
        } finally {
            concurrent.decrementAndGet();
        }
    }

    private Reply choose(Request request) {
        Route.Handler handler = request.route().handler();
        try {
            if (handler != null) {
                return handler.handle(request);
            }
            Reply next = queued.poll();
            return next != null ? next : script.handle(request);
        } catch (Exception e) {
            LOG.error("fake provider: the script failed on {} {}", request.method(), request.path(), e);
            return Reply.error(500, null, "the fake provider's script failed: " + e);
        }
    }

    private Request request(Http1Server.Raw raw, long received) {
        Route route = NOT_FOUND;
        Map<String, String> params = Map.of();
        for (Route r : routes) {
            Map<String, String> m = r.match(raw.method(), raw.path());
            if (m != null) {
                route = r;
                params = m;
                break;
            }
        }
        return new Request(route, raw.method(), raw.path(), raw.query(), raw.headers(), raw.body(), params, received);
    }

    @Override
    public void close() {
        closed.countDown();
        server.close();
    }
}
