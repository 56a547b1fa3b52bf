package dev.relay.bench.processor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local provider speaking OpenAI's chat-completions format: answers every request after {@code delayMs} with
 * {@code status} (200: a small completion). Keeps the time each job's request arrived and its response was sent
 * (by the OpenAI {@code user} field, where the benchmarks put the job id), and the concurrency.
 */
final class LocalOpenAi implements AutoCloseable {

    private final HttpServer server;
    private final long delayMs;
    private final int status;
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    final Map<String, Long> receivedAt = new ConcurrentHashMap<>();
    final Map<String, Long> respondedAt = new ConcurrentHashMap<>();

    LocalOpenAi(long delayMs, int status) throws IOException {
        this.delayMs = delayMs;
        this.status = status;
        System.setProperty("sun.net.httpserver.maxIdleConnections", "20000");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16_384);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int concurrent() {
        return concurrent.get();
    }

    int maxConcurrent() {
        return maxConcurrent.get();
    }

    long requests() {
        return requests.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        long received = System.nanoTime();
        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
        requests.incrementAndGet();
        try {
            String job = user(ex.getRequestBody().readAllBytes());
            receivedAt.putIfAbsent(job, received);
            if (delayMs > 0) {
                Thread.sleep(delayMs);
            }
            byte[] out = (status == 200
                    ? "{\"id\":\"c-" + job + "\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":"
                            + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":"
                            + "\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}"
                    : "{\"error\":{\"message\":\"bench failure\",\"type\":\"server_error\",\"code\":null}}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
            ex.getResponseBody().close();
            respondedAt.putIfAbsent(job, System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the caller went away
        } finally {
            concurrent.decrementAndGet();
            ex.close();
        }
    }

    /**
     * The request's {@code user} field (the job id), found without building a JSON tree: this server stands in for a
     * remote provider, so it should take as little of the shared CPU as it can.
     */
    static String user(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8);
        int at = s.indexOf("\"user\":");
        if (at < 0) {
            return "";
        }
        int open = s.indexOf('"', at + 7);
        int close = open < 0 ? -1 : s.indexOf('"', open + 1);
        return close < 0 ? "" : s.substring(open + 1, close);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
