package dev.relay.processor.provider.http;

import dev.relay.config.NetworkConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ChunkSink;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.ProviderError;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ProviderClient} that speaks a {@link Dialect} over an {@link HttpTransport}. It owns what every HTTP
 * provider shares: the missing-key check, the timeout (the provider's request timeout bounded by the call's deadline),
 * {@code User-Agent} and {@code extra_headers}, status and exception classification through the {@link Classifier},
 * {@code Retry-After}, and redaction of key material from every message it hands back. {@link #stream} is the same
 * call in the provider's streaming mode, read by a {@link StreamedAnswer}.
 */
public final class HttpProviderClient implements ProviderClient {

    private static final Logger LOG = LoggerFactory.getLogger(HttpProviderClient.class);

    private final String name;
    private final Dialect dialect;
    private final String baseUrl;
    private final NetworkConfig network;
    private final HttpTransport transport;
    private final String userAgent;
    private final Clock clock;
    private final AtomicLong malformedEvents = new AtomicLong();

    /** The most an error answer's body is read of (an error page is short; a bigger one is cut, not buffered). */
    static final int MAX_ERROR_BODY = 1 << 20;

    public HttpProviderClient(
            String name,
            Dialect dialect,
            URI baseUrl,
            NetworkConfig network,
            HttpTransport transport,
            String userAgent,
            Clock clock) {
        this.name = name;
        this.dialect = dialect;
        String b = baseUrl.toString();
        this.baseUrl = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        this.network = network;
        this.transport = transport;
        this.userAgent = userAgent;
        this.clock = clock;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletableFuture<AttemptOutcome> call(ChatCall call) {
        try {
            return send(call);
        } catch (RuntimeException bug) {
            // a request the dialect cannot map or a header the JDK refuses: a bug or a config error, not a provider
            // failure
            return CompletableFuture.failedFuture(bug);
        }
    }

    private CompletableFuture<AttemptOutcome> send(ChatCall call) {
        if (call.key().isEmpty()) {
            return CompletableFuture.completedFuture(Failure.of(
                    Classifier.missingKey(),
                    null,
                    null,
                    null,
                    "provider " + name + " has no usable key (key " + call.keyName() + " is not set)"));
        }
        String key = call.key().get().reveal();
        Duration timeout = timeout(call);
        if (timeout.toMillis() <= 0) {
            return CompletableFuture.completedFuture(deadlinePassed());
        }
        WireRequest wire = dialect.toWire(call, key);
        // first_token_timeout bounds the wait for the first byte of the answer (the JDK's request timeout ends with
        // the headers); the whole exchange stays bounded by the request timeout
        Duration firstByte = network.firstTokenTimeout()
                .filter(f -> f.compareTo(timeout) < 0)
                .orElse(timeout);
        HttpRequest request = request(wire, firstByte, "application/json");
        Duration sentTimeout = firstByte;
        CompletableFuture<HttpResponse<byte[]>> exchange = transport.send(request, timeout);
        CompletableFuture<AttemptOutcome> result = new CompletableFuture<>();
        exchange.whenComplete((response, error) -> {
            if (result.isDone()) {
                return; // cancelled by the caller: nobody waits for an outcome
            }
            AttemptOutcome outcome;
            try {
                outcome = error == null ? fromResponse(response, key) : fromError(error, key, sentTimeout);
            } catch (RuntimeException bug) {
                // a mapper that throws is a bug: the caller classes it INTERNAL, not as the provider's failure
                result.completeExceptionally(bug);
                return;
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("provider {} model {} job {}: {}", name, call.model(), call.jobId(), describe(outcome));
            }
            result.complete(outcome);
        });
        result.whenComplete((o, e) -> {
            if (e != null) { // cancelled or abandoned by the caller: end the exchange
                exchange.cancel(true);
            }
        });
        return result;
    }

    /** The request timeout, bounded by the call's deadline. */
    private Duration timeout(ChatCall call) {
        Duration timeout = network.requestTimeout();
        Duration untilDeadline = Duration.between(clock.instant(), call.deadline());
        return untilDeadline.compareTo(timeout) < 0 ? untilDeadline : timeout;
    }

    private static Failure deadlinePassed() {
        return Failure.of(
                Classifier.classify(new HttpTimeoutException("deadline passed")),
                null,
                null,
                null,
                "the call's deadline passed before it was sent");
    }

    private HttpRequest request(WireRequest wire, Duration headerTimeout, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + wire.pathAndQuery()))
                .timeout(headerTimeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(wire.body()));
        for (Map.Entry<String, String> h : network.extraHeaders().entrySet()) {
            b.setHeader(h.getKey(), h.getValue());
        }
        b.setHeader("Content-Type", "application/json");
        b.setHeader("Accept", accept);
        b.setHeader("User-Agent", userAgent);
        for (Map.Entry<String, String> h : wire.headers().entrySet()) {
            b.setHeader(h.getKey(), h.getValue());
        }
        return b.build();
    }

    /**
     * The call in streaming mode. The answer's headers must come within the request timeout (and the first token
     * within {@code first_token_timeout}, when set); after that the stream is bounded by
     * {@code stream_idle_timeout_in_seconds} between events and by the call's deadline, not by the request timeout,
     * so a long answer is not cut for being long.
     */
    @Override
    public CompletableFuture<AttemptOutcome> stream(ChatCall call, ChunkSink sink) {
        try {
            return sendStreaming(call, sink);
        } catch (RuntimeException bug) {
            return CompletableFuture.failedFuture(bug);
        }
    }

    /** Events of streamed answers that were not valid JSON (skipped). */
    public long malformedEvents() {
        return malformedEvents.get();
    }

    private CompletableFuture<AttemptOutcome> sendStreaming(ChatCall call, ChunkSink sink) {
        if (call.key().isEmpty()) {
            return call(call);
        }
        String key = call.key().get().reveal();
        Duration timeout = timeout(call);
        if (timeout.toMillis() <= 0) {
            return CompletableFuture.completedFuture(deadlinePassed());
        }
        long startNanos = System.nanoTime();
        Duration headers = network.firstTokenTimeout()
                .filter(f -> f.compareTo(timeout) < 0)
                .orElse(timeout);
        long firstTokenBy =
                network.firstTokenTimeout().map(f -> startNanos + f.toNanos()).orElse(Long.MAX_VALUE);
        long deadline = startNanos
                + Math.max(0, Duration.between(clock.instant(), call.deadline()).toNanos());
        HttpRequest request = request(dialect.toStreamWire(call, key), headers, "text/event-stream");
        CompletableFuture<Void> bodyDone = new CompletableFuture<>();
        CompletableFuture<HttpResponse<InputStream>> exchange = transport.stream(request, bodyDone);
        CompletableFuture<AttemptOutcome> result = new CompletableFuture<>();
        AtomicReference<StreamedAnswer> reading = new AtomicReference<>();
        exchange.whenComplete((response, error) -> {
            if (error != null) {
                bodyDone.complete(null);
                result.complete(fromError(error, key, headers));
                return;
            }
            int status = response.statusCode();
            if (status < 200 || status >= 300) {
                byte[] body;
                try (InputStream in = response.body()) {
                    body = in.readNBytes(MAX_ERROR_BODY);
                } catch (IOException e) {
                    body = new byte[0];
                } finally {
                    bodyDone.complete(null);
                }
                result.complete(errorOutcome(status, body, response.headers(), key));
                return;
            }
            StreamedAnswer answer = new StreamedAnswer(
                    name,
                    call.model(),
                    dialect.streamDecoder(call),
                    sink,
                    network.streamIdleTimeout().toNanos(),
                    firstTokenBy,
                    deadline,
                    malformedEvents);
            reading.set(answer);
            Thread.ofVirtual().name("relay-stream-" + name).start(() -> {
                try {
                    AttemptOutcome outcome = answer.read(status, response.body());
                    result.complete(outcome instanceof Failure f ? redacted(f, key) : outcome);
                } catch (RuntimeException bug) {
                    result.completeExceptionally(bug);
                } finally {
                    bodyDone.complete(null);
                }
            });
            if (result.isDone()) {
                answer.abort();
            }
        });
        result.whenComplete((o, e) -> {
            if (e != null) { // cancelled or abandoned by the caller: end the exchange and the read
                exchange.cancel(true);
                StreamedAnswer a = reading.get();
                if (a != null) {
                    a.abort();
                }
            }
        });
        return result;
    }

    private AttemptOutcome fromResponse(HttpResponse<byte[]> response, String key) {
        int status = response.statusCode();
        byte[] body = response.body() == null ? new byte[0] : response.body();
        if (status >= 200 && status < 300) {
            // the dialect returns TRUNCATED for a body of the wrong shape; an exception from it is a mapper bug
            AttemptOutcome outcome = dialect.fromWire(body, status);
            return outcome instanceof Failure f ? redacted(f, key) : outcome;
        }
        return errorOutcome(status, body, response.headers(), key);
    }

    private AttemptOutcome errorOutcome(int status, byte[] body, java.net.http.HttpHeaders headers, String key) {
        ProviderError err = dialect.parseError(status, body);
        FailureClass cls = Classifier.classify(status, err.type(), err.code(), err.message());
        String message = err.message() != null ? err.message() : "HTTP " + status + " from " + name;
        Failure f = Failure.of(cls, status, err.type(), err.code(), Redactor.redact(message, key));
        var retryAfter = RetryAfter.fromHeaders(headers, clock.instant()).or(err::retryAfter);
        return retryAfter.isPresent() ? f.withRetryAfter(retryAfter.get()) : f;
    }

    private AttemptOutcome fromError(Throwable error, String key, Duration timeout) {
        FailureClass cls = Classifier.classify(error);
        Throwable cause = error;
        while (cause.getCause() != null
                && (cause instanceof java.util.concurrent.CompletionException
                        || cause instanceof java.util.concurrent.ExecutionException)) {
            cause = cause.getCause();
        }
        String text = cls == FailureClass.TIMEOUT
                ? "no answer from " + name + " within " + timeout.toMillis() + " ms"
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return Failure.of(cls, null, null, null, Redactor.redact(text, key));
    }

    private static Failure redacted(Failure f, String key) {
        return new Failure(
                f.failureClass(),
                f.httpStatus(),
                f.errorType(),
                f.errorCode(),
                Redactor.redact(f.message(), key),
                f.retryAfter(),
                f.allowFallbacks());
    }

    private static String describe(AttemptOutcome o) {
        return switch (o) {
            case AttemptOutcome.Success s -> "success " + s.httpStatus();
            case Failure f ->
                f.failureClass() + " "
                        + (f.httpStatus().isPresent() ? f.httpStatus().getAsInt() : "-") + " " + f.errorType() + "/"
                        + f.errorCode();
        };
    }

    @Override
    public void close() {
        transport.close();
    }
}
