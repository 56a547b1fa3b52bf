package dev.relay.processor.provider.http;

import dev.relay.config.NetworkConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ProviderClient} that speaks a {@link Dialect} over an {@link HttpTransport}. It owns what every HTTP
 * provider shares: the missing-key check, the timeout (the provider's request timeout bounded by the call's deadline),
 * {@code User-Agent} and {@code extra_headers}, status and exception classification through the {@link Classifier},
 * {@code Retry-After}, and redaction of key material from every message it hands back.
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

    public HttpProviderClient(String name, Dialect dialect, URI baseUrl, NetworkConfig network, HttpTransport transport,
            String userAgent, Clock clock) {
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
            // a request the dialect cannot map or a header the JDK refuses: a bug or a config error, not a provider failure
            return CompletableFuture.failedFuture(bug);
        }
    }

    private CompletableFuture<AttemptOutcome> send(ChatCall call) {
        if (call.key().isEmpty()) {
            return CompletableFuture.completedFuture(Failure.of(Classifier.missingKey(), null, null, null,
                    "provider " + name + " has no usable key (key " + call.keyName() + " is not set)"));
        }
        String key = call.key().get().reveal();
        Instant now = clock.instant();
        Duration timeout = network.requestTimeout();
        Duration untilDeadline = Duration.between(now, call.deadline());
        if (untilDeadline.compareTo(timeout) < 0) {
            timeout = untilDeadline;
        }
        if (timeout.toMillis() <= 0) {
            return CompletableFuture.completedFuture(Failure.of(
                    Classifier.classify(new HttpTimeoutException("deadline passed")), null, null, null,
                    "the call's deadline passed before it was sent"));
        }
        WireRequest wire = dialect.toWire(call, key);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + wire.pathAndQuery()))
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(wire.body()));
        for (Map.Entry<String, String> h : network.extraHeaders().entrySet()) {
            b.setHeader(h.getKey(), h.getValue());
        }
        b.setHeader("Content-Type", "application/json");
        b.setHeader("Accept", "application/json");
        b.setHeader("User-Agent", userAgent);
        for (Map.Entry<String, String> h : wire.headers().entrySet()) {
            b.setHeader(h.getKey(), h.getValue());
        }
        Duration sentTimeout = timeout;
        CompletableFuture<HttpResponse<byte[]>> exchange = transport.send(b.build());
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

    private AttemptOutcome fromResponse(HttpResponse<byte[]> response, String key) {
        int status = response.statusCode();
        byte[] body = response.body() == null ? new byte[0] : response.body();
        if (status >= 200 && status < 300) {
            // the dialect returns TRUNCATED for a body of the wrong shape; an exception from it is a mapper bug
            AttemptOutcome outcome = dialect.fromWire(body, status);
            return outcome instanceof Failure f ? redacted(f, key) : outcome;
        }
        ProviderError err = dialect.parseError(status, body);
        FailureClass cls = Classifier.classify(status, err.type(), err.code(), err.message());
        String message = err.message() != null ? err.message() : "HTTP " + status + " from " + name;
        Failure f = Failure.of(cls, status, err.type(), err.code(), Redactor.redact(message, key));
        var retryAfter = RetryAfter.fromHeaders(response.headers(), clock.instant()).or(err::retryAfter);
        return retryAfter.isPresent() ? f.withRetryAfter(retryAfter.get()) : f;
    }

    private AttemptOutcome fromError(Throwable error, String key, Duration timeout) {
        FailureClass cls = Classifier.classify(error);
        Throwable cause = error;
        while (cause.getCause() != null && (cause instanceof java.util.concurrent.CompletionException
                || cause instanceof java.util.concurrent.ExecutionException)) {
            cause = cause.getCause();
        }
        String text = cls == FailureClass.TIMEOUT
                ? "no answer from " + name + " within " + timeout.toMillis() + " ms"
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return Failure.of(cls, null, null, null, Redactor.redact(text, key));
    }

    private static Failure redacted(Failure f, String key) {
        return new Failure(f.failureClass(), f.httpStatus(), f.errorType(), f.errorCode(),
                Redactor.redact(f.message(), key), f.retryAfter(), f.allowFallbacks());
    }

    private static String describe(AttemptOutcome o) {
        return switch (o) {
            case AttemptOutcome.Success s -> "success " + s.httpStatus();
            case Failure f -> f.failureClass() + " " + (f.httpStatus().isPresent() ? f.httpStatus().getAsInt() : "-")
                    + " " + f.errorType() + "/" + f.errorCode();
        };
    }

    @Override
    public void close() {
        transport.close();
    }
}
