package dev.relay.ingress.webhook;

import dev.relay.config.WebhookSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Delivers one webhook: POST with Standard Webhooks headers, retried on any non-2xx answer or network error with
 * jittered exponential backoff ({@code backoff_initial} doubling to {@code backoff_max}) until {@code retry_for} has
 * passed since the first try. Redirects are not followed (a redirect could lead past the SSRF guard).
 */
public final class WebhookSender {

    /** One try: when, the HTTP status (0 = no answer), and the error if any. */
    public record Attempt(long at, int status, String error) {}

    /** How a delivery ended. */
    public enum State { DELIVERED, GAVE_UP, REFUSED }

    public record Outcome(State state, List<Attempt> attempts) {}

    private final HttpClient http;
    private final WebhookSettings settings;
    private final WebhookSigner signer;
    private final TargetGuard guard;
    private final Clock clock;

    public WebhookSender(WebhookSettings settings, WebhookSigner signer, TargetGuard guard, Clock clock) {
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout()).build();
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
            TargetGuard.Verdict v = guard.checkResolved(url);
            if (!v.allowed()) {
                attempts.add(new Attempt(clock.millis(), 0, "refused: callback_url " + v.reason()));
                return new Outcome(State.REFUSED, List.copyOf(attempts));
            }
            Attempt a = once(url, webhookId, body);
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
            backoff = backoff.multipliedBy(2).compareTo(settings.backoffMax()) > 0 ? settings.backoffMax()
                    : backoff.multipliedBy(2);
        }
    }

    private Attempt once(String url, String webhookId, String body) throws InterruptedException {
        long now = clock.millis();
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "relay-webhooks")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        signer.headers(webhookId, now / 1000, body).forEach(req::header);
        try {
            HttpResponse<Void> resp = http.send(req.build(), HttpResponse.BodyHandlers.discarding());
            return new Attempt(now, resp.statusCode(), resp.statusCode() / 100 == 2 ? null : "HTTP " + resp.statusCode());
        } catch (java.io.IOException e) {
            return new Attempt(now, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static long jitter(Duration backoff) {
        long ms = Math.max(1, backoff.toMillis());
        return ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1);
    }
}
