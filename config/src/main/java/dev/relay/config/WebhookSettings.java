package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Relay's {@code webhooks} section: the Standard Webhooks signing secret, how long delivery is retried, and whether
 * private/loopback targets are allowed (off by default: SSRF). {@code batch_url}, if set, is told when any batch ends
 * (a batch's own {@code metadata.webhook_url} wins).
 */
public record WebhookSettings(
        Optional<Secret> secret,
        Duration timeout,
        Duration retryFor,
        Duration backoffInitial,
        Duration backoffMax,
        boolean allowPrivateTargets,
        Optional<String> batchUrl) {

    static WebhookSettings read(Node n, List<String> warnings) {
        Optional<Secret> secret = Optional.empty();
        if (n.get("secret").present()) {
            secret = n.get("secret").secret();
            if (secret.isEmpty()) {
                warnings.add(n.get("secret").path() + ": env var "
                        + n.get("secret").envVariable().orElse("?") + " is not set; webhooks will be sent unsigned");
            }
        }
        return new WebhookSettings(
                secret,
                n.get("timeout").duration(Duration.ofSeconds(10), ChronoUnit.SECONDS),
                n.get("retry_for").duration(Duration.ofHours(24), ChronoUnit.SECONDS),
                n.get("backoff_initial").duration(Duration.ofSeconds(1), ChronoUnit.MILLIS),
                n.get("backoff_max").duration(Duration.ofMinutes(10), ChronoUnit.MILLIS),
                n.get("allow_private_targets").bool(false),
                Optional.ofNullable(n.get("batch_url").string(null)));
    }
}
