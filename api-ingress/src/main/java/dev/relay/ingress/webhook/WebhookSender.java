package dev.relay.ingress.webhook;

import dev.relay.config.WebhookSettings;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.api.ContentResponse;
import org.eclipse.jetty.client.api.Request;
import org.eclipse.jetty.client.http.HttpClientTransportOverHTTP;
import org.eclipse.jetty.client.util.StringRequestContent;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Delivers one webhook: POST with Standard Webhooks headers, retried on any non-2xx answer or network error with
 * jittered exponential backoff ({@code backoff_initial} doubling to {@code backoff_max}) until {@code retry_for} has
 * passed since the first try. Redirects are not followed (a redirect could lead past the SSRF guard).
 *
 * <p>The HTTP client (Jetty's) resolves host names through {@link TargetGuard#allowedAddresses}: the addresses it
 * connects to are exactly the ones the guard checked, so DNS rebinding between the check and the connection cannot
 * lead to a private address. The URL keeps its host name, so the Host header, TLS SNI and certificate checks are
 * those of the name.
 */
public final class WebhookSender implements AutoCloseable {

    /** One try: when, the HTTP status (0 = no answer), and the error if any. */
    public record Attempt(long at, int status, String error) {}

    /** How a delivery ended. */
    public enum State {
        DELIVERED,
        GAVE_UP,
        REFUSED
    }

    public record Outcome(State state, List<Attempt> attempts) {}

    private final HttpClient http;
    private final WebhookSettings settings;
    private final WebhookSigner signer;
    private final TargetGuard guard;
    private final Clock clock;

    public WebhookSender(WebhookSettings settings, WebhookSigner signer, TargetGuard guard, Clock clock) {
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(new SslContextFactory.Client()); // verifies the certificate against the name
        connector.setConnectTimeout(settings.timeout());
        this.http = new HttpClient(new HttpClientTransportOverHTTP(connector));
        http.setFollowRedirects(false);
        http.setSocketAddressResolver(this::resolve);
        http.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, "relay-webhooks"));
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("the webhook HTTP client did not start", e);
        }
        this.settings = settings;
        this.signer = signer;
        this.guard = guard;
        this.clock = clock;
    }

    /** Blocks (call it on a virtual thread) until delivered or given up; {@code progress} sees every attempt. */
    public Outcome deliver(String url, String webhookId, String body, Consumer<List<Attempt>> progress)
            throws InterruptedException {
        List<Attempt> attempts = new ArrayList<>();
        long giveUpAt = clock.millis() + settings.retryFor().toMillis();
        Duration backoff = settings.backoffInitial();
        while (true) {
            TargetGuard.Verdict v = guard.checkSyntaxAndLiteral(url);
            if (!v.allowed()) {
                attempts.add(new Attempt(clock.millis(), 0, "refused: callback_url " + v.reason()));
                return new Outcome(State.REFUSED, List.copyOf(attempts));
            }
            Attempt a;
            try {
                a = once(url, webhookId, body);
            } catch (TargetGuard.Refused r) {
                attempts.add(new Attempt(clock.millis(), 0, "refused: callback_url " + r.getMessage()));
                return new Outcome(State.REFUSED, List.copyOf(attempts));
            }
            attempts.add(a);
            if (a.status() >= 200 && a.status() < 300) {
                return new Outcome(State.DELIVERED, List.copyOf(attempts));
            }
            progress.accept(List.copyOf(attempts));
            long sleep = jitter(backoff);
            if (clock.millis() + sleep > giveUpAt) {
                return new Outcome(State.GAVE_UP, List.copyOf(attempts));
            }
            Thread.sleep(sleep);
            backoff = backoff.multipliedBy(2).compareTo(settings.backoffMax()) > 0
                    ? settings.backoffMax()
                    : backoff.multipliedBy(2);
        }
    }

    private Attempt once(String url, String webhookId, String body) throws InterruptedException, TargetGuard.Refused {
        long now = clock.millis();
        Request req = http.newRequest(url)
                .method(HttpMethod.POST)
                .timeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .body(new StringRequestContent("application/json", body, StandardCharsets.UTF_8));
        req.headers(h -> signer.headers(webhookId, now / 1000, body).forEach(h::put));
        try {
            ContentResponse resp = req.send();
            return new Attempt(now, resp.getStatus(), resp.getStatus() / 100 == 2 ? null : "HTTP " + resp.getStatus());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof TargetGuard.Refused r) {
                    throw r;
                }
            }
            return new Attempt(now, 0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } catch (TimeoutException e) {
            return new Attempt(
                    now,
                    0,
                    "TimeoutException: no answer within " + settings.timeout().toMillis() + " ms");
        }
    }

    /** The client's name resolution: only addresses the guard allows, resolved off the client's threads. */
    private void resolve(String host, int port, Promise<List<InetSocketAddress>> promise) {
        Thread.startVirtualThread(() -> {
            try {
                promise.succeeded(guard.allowedAddresses(host).stream()
                        .map(a -> new InetSocketAddress(a, port))
                        .toList());
            } catch (TargetGuard.Refused | RuntimeException e) {
                promise.failed(e);
            }
        });
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            throw new IllegalStateException("the webhook HTTP client did not stop", e);
        }
    }

    private static long jitter(Duration backoff) {
        long ms = Math.max(1, backoff.toMillis());
        return ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1);
    }
}
