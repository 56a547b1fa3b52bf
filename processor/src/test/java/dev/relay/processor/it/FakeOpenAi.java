package dev.relay.processor.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A local HTTP server speaking OpenAI's chat-completions format, for tests and benchmarks. Each request is answered
 * by a {@link Reply} chosen from the job id (tests put it in the request's {@code user} field); every request and
 * its reply are recorded. Runs every request on its own virtual thread, so thousands can wait at once.
 */
public final class FakeOpenAi implements AutoCloseable {

    /** How to answer one request: after {@code delayMs}, with {@code status} (200 = a completion). */
    public record Reply(int status, long delayMs, String errorType) {
        public static Reply ok(long delayMs) {
            return new Reply(200, delayMs, null);
        }

        public static Reply error(int status, String type) {
            return new Reply(status, 0, type);
        }

        /** Never answers within the client's timeout. */
        public static Reply hang(long delayMs) {
            return new Reply(-1, delayMs, null);
        }
    }

    /** One request as the server saw it: the job id and the reply it got (status -1: the client gave up). */
    public record Seen(String jobId, String model, int status, long receivedAtNanos) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> perJob = new ConcurrentHashMap<>();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private volatile BiFunction<String, String, Reply> replies;

    public FakeOpenAi(Function<String, Reply> replies) throws IOException {
        this((jobId, model) -> replies.apply(jobId));
    }

    /** Answers each request by its job id and its model. */
    public FakeOpenAi(BiFunction<String, String, Reply> replies) throws IOException {
        this.replies = replies;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16_384);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void replies(Function<String, Reply> replies) {
        this.replies = (jobId, model) -> replies.apply(jobId);
    }

    public List<Seen> seen() {
        return seen;
    }

    public int requestsFor(String jobId) {
        AtomicInteger n = perJob.get(jobId);
        return n == null ? 0 : n.get();
    }

    public int concurrent() {
        return concurrent.get();
    }

    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        long received = System.nanoTime();
        int now = concurrent.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        try {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            String jobId = body.path("user").asText("");
            String model = body.path("model").asText();
            perJob.computeIfAbsent(jobId, k -> new AtomicInteger()).incrementAndGet();
            Reply r = replies.apply(jobId, model);
            seen.add(new Seen(jobId, model, r.status(), received));
            if (r.delayMs() > 0) {
                Thread.sleep(r.delayMs());
            }
            byte[] out;
            int status = r.status() < 0 ? 504 : r.status();
            if (status == 200) {
                out = completion(jobId, model).getBytes(StandardCharsets.UTF_8);
            } else {
                out = ("{\"error\":{\"message\":\"fake " + status + "\",\"type\":\"" + r.errorType()
                        + "\",\"code\":null}}").getBytes(StandardCharsets.UTF_8);
                if (status == 429) {
                    ex.getResponseHeaders().add("Retry-After", "0");
                }
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client gave up (timeout) or the processor died: nothing to answer
        } finally {
            concurrent.decrementAndGet();
            ex.close();
        }
    }

    private static String completion(String jobId, String model) {
        return "{\"id\":\"chatcmpl-" + jobId + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\""
                + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi " + jobId
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
                + "\"total_tokens\":7}}";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
