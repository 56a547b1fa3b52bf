package dev.relay.testkit.provider;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the {@link FakeProvider} answers one request: immutable, built from a factory and {@code with...} steps.
 *
 * <pre>{@code
 * Reply.ok()                                   // 200, a completion in the request's dialect
 * Reply.ok("Paris").after(Duration.ofMillis(300))
 * Reply.error(429).header("Retry-After", "1")  // the dialect's error body, type chosen from the status
 * Reply.error(400, "invalid_request_error", "context_length_exceeded ...")
 * Reply.json(200, "{\"id\":\"batch_1\"}")      // any body, as is
 * Reply.cut()                                  // close the connection without an answer
 * Reply.truncated()                            // 200 headers and half the body, then close
 * Reply.hang()                                 // never answer (until the provider closes)
 * Reply.respond((request, exchange) -> ...)    // write the answer yourself: SSE, chunked, slow bodies
 * }</pre>
 *
 * A {@link Responder} is the extension point for answers that are not one JSON body: it gets the request and an
 * {@link Exchange} to write headers, chunks or events to, and may cut the connection at any point.
 */
public final class Reply {

    /** Writes an answer by hand (streaming, slow or broken bodies). */
    @FunctionalInterface
    public interface Responder {
        void respond(Request request, Exchange exchange) throws IOException, InterruptedException;
    }

    private enum Kind {
        COMPLETION,
        ERROR,
        BODY,
        CUT,
        RESET,
        TRUNCATED,
        HANG,
        CUSTOM
    }

    private final Kind kind;
    private final int status;
    private final String text;
    private final String errorType;
    private final String body;
    private final Map<String, String> headers;
    private final Duration delay;
    private final Responder responder;
    private final int inputTokens;
    private final int outputTokens;

    private Reply(
            Kind kind,
            int status,
            String text,
            String errorType,
            String body,
            Map<String, String> headers,
            Duration delay,
            Responder responder,
            int inputTokens,
            int outputTokens) {
        this.kind = kind;
        this.status = status;
        this.text = text;
        this.errorType = errorType;
        this.body = body;
        this.headers = Map.copyOf(headers);
        this.delay = delay;
        this.responder = responder;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
    }

    private static Reply of(Kind kind, int status, String text, String type, String body, Responder responder) {
        return new Reply(kind, status, text, type, body, Map.of(), Duration.ZERO, responder, 5, 2);
    }

    /** 200 with a short completion ("ok") in the request's dialect. */
    public static Reply ok() {
        return ok("ok");
    }

    /** 200 with a completion whose text is {@code text}, in the request's dialect. */
    public static Reply ok(String text) {
        return of(Kind.COMPLETION, 200, text, null, null, null);
    }

    /** {@code status} with the dialect's error body and the provider's usual error type for that status. */
    public static Reply error(int status) {
        return error(status, null, "fake " + status);
    }

    /** {@code status} with the dialect's error body ({@code type}: OpenAI/Anthropic type, Gemini RPC status). */
    public static Reply error(int status, String type, String message) {
        return of(Kind.ERROR, status, message, type, null, null);
    }

    /** {@code status} with {@code json} as the body, unchanged (for batch objects, odd bodies, empty bodies). */
    public static Reply json(int status, String json) {
        return of(Kind.BODY, status, null, null, json, null);
    }

    /** Closes the connection without sending anything: the client sees the connection end (a network failure). */
    public static Reply cut() {
        return of(Kind.CUT, Request.NO_ANSWER, null, null, null, null);
    }

    /** Resets the connection without sending anything (a TCP RST): the client sees "connection reset". */
    public static Reply reset() {
        return of(Kind.RESET, Request.NO_ANSWER, null, null, null, null);
    }

    /** Sends 200 and a Content-Length, writes half of a completion's bytes, then closes the connection. */
    public static Reply truncated() {
        return of(Kind.TRUNCATED, 200, "cut short", null, null, null);
    }

    /** Never answers: waits until the provider is closed (the client's timeout fires first), then cuts. */
    public static Reply hang() {
        return of(Kind.HANG, Request.NO_ANSWER, null, null, null, null);
    }

    /** The answer is written by {@code responder} (see {@link Exchange}). */
    public static Reply respond(Responder responder) {
        return of(Kind.CUSTOM, 0, null, null, null, responder);
    }

    /** The same answer after {@code delay} (added to the provider's own {@link FakeProvider#latency latency}). */
    public Reply after(Duration delay) {
        return new Reply(kind, status, text, errorType, body, headers, delay, responder, inputTokens, outputTokens);
    }

    /**
     * The same completion reporting {@code input} prompt and {@code output} completion tokens in the dialect's usage
     * block (the default is 5 and 2).
     */
    public Reply usage(int input, int output) {
        return new Reply(kind, status, text, errorType, body, headers, delay, responder, input, output);
    }

    /** The same answer with one more response header. */
    public Reply header(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Reply(kind, status, text, errorType, body, h, delay, responder, inputTokens, outputTokens);
    }

    public int status() {
        return status;
    }

    public Duration delay() {
        return delay;
    }

    /** Writes this answer to {@code exchange}; returns the status sent ({@link Request#NO_ANSWER} when none). */
    int write(Request request, Exchange exchange, FakeProvider provider) throws IOException, InterruptedException {
        headers.forEach(exchange::header);
        switch (kind) {
            case COMPLETION -> {
                if (request.streaming()) { // the same answer in the dialect's stream format
                    StreamReply.text(text).write(request, exchange);
                } else {
                    exchange.json(
                            status,
                            request.dialect()
                                    .completion(
                                            request.model(),
                                            text,
                                            Long.toHexString(request.receivedAtNanos()),
                                            inputTokens,
                                            outputTokens));
                }
            }
            case ERROR -> exchange.json(status, request.dialect().error(status, errorType, text));
            case BODY -> exchange.json(status, body);
            case CUT -> exchange.cut();
            case RESET -> exchange.reset();
            case TRUNCATED -> {
                byte[] whole = request.dialect()
                        .completion(request.model(), text, "cut", inputTokens, outputTokens)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.header("Content-Type", "application/json");
                var out = exchange.start(status, whole.length);
                out.write(whole, 0, whole.length / 2);
                out.flush();
                exchange.cut();
            }
            case HANG -> {
                provider.awaitClose(Duration.ofMinutes(10));
                exchange.cut();
            }
            case CUSTOM -> responder.respond(request, exchange);
        }
        return exchange.status();
    }

    @Override
    public String toString() {
        return kind + (status > 0 ? " " + status : "") + (delay.isZero() ? "" : " after " + delay.toMillis() + " ms");
    }
}
