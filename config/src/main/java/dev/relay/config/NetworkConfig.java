package dev.relay.config;

import java.net.URI;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * {@code providers.<name>.network_config}, in Bifrost's shape. {@code base_url} excludes the API version path
 * ({@code https://api.openai.com}, not {@code .../v1}). Bare numbers are seconds for the timeout and milliseconds for
 * the backoffs, as in Bifrost; strings such as {@code "500ms"} are accepted too.
 *
 * <p>{@code first_token_timeout} (off by default) bounds the time from sending a call to its first content token in
 * streaming mode, and to the first byte of the response without streaming, so a provider that is slow to start is
 * left for the fallback. {@code stream_idle_timeout_in_seconds} (Bifrost's name, default 30) ends a streaming call
 * that sends nothing for that long.
 */
public record NetworkConfig(
        Optional<URI> baseUrl,
        Duration requestTimeout,
        int maxRetries,
        Duration retryBackoffInitial,
        Duration retryBackoffMax,
        Map<String, String> extraHeaders,
        Optional<Duration> firstTokenTimeout,
        Duration streamIdleTimeout) {

    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** Without the streaming timeouts (first token: off; stream idle: the default). */
    public NetworkConfig(
            Optional<URI> baseUrl,
            Duration requestTimeout,
            int maxRetries,
            Duration retryBackoffInitial,
            Duration retryBackoffMax,
            Map<String, String> extraHeaders) {
        this(
                baseUrl,
                requestTimeout,
                maxRetries,
                retryBackoffInitial,
                retryBackoffMax,
                extraHeaders,
                Optional.empty(),
                DEFAULT_STREAM_IDLE_TIMEOUT);
    }

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_RETRIES = 2;
    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(200);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(2);

    public static NetworkConfig defaults() {
        return new NetworkConfig(
                Optional.empty(),
                DEFAULT_REQUEST_TIMEOUT,
                DEFAULT_MAX_RETRIES,
                DEFAULT_BACKOFF_INITIAL,
                DEFAULT_BACKOFF_MAX,
                Map.of());
    }

    static NetworkConfig read(Node n) {
        Optional<URI> baseUrl = Optional.empty();
        Node b = n.get("base_url");
        if (b.present()) {
            String raw = b.requiredString();
            try {
                URI uri = URI.create(raw);
                if (uri.getScheme() == null
                        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                        || uri.getHost() == null) {
                    throw b.error("expected an http(s) URL, got \"" + raw + "\"");
                }
                baseUrl = Optional.of(uri);
            } catch (IllegalArgumentException e) {
                throw b.error("not a URL: \"" + raw + "\"");
            }
        }
        Duration timeout =
                n.get("default_request_timeout_in_seconds").duration(DEFAULT_REQUEST_TIMEOUT, ChronoUnit.SECONDS);
        if (timeout.isZero()) {
            throw n.get("default_request_timeout_in_seconds").error("must be positive");
        }
        int maxRetries = n.get("max_retries").integer(DEFAULT_MAX_RETRIES, 0, 20);
        Duration initial = n.get("retry_backoff_initial").duration(DEFAULT_BACKOFF_INITIAL, ChronoUnit.MILLIS);
        Duration max = n.get("retry_backoff_max").duration(DEFAULT_BACKOFF_MAX, ChronoUnit.MILLIS);
        if (max.compareTo(initial) < 0) {
            throw n.get("retry_backoff_max").error("must not be less than retry_backoff_initial");
        }
        Optional<Duration> firstToken = Optional.empty();
        if (n.get("first_token_timeout").present()) {
            Duration d = n.get("first_token_timeout").duration(Duration.ZERO, ChronoUnit.SECONDS);
            firstToken = d.isZero() ? Optional.empty() : Optional.of(d); // 0 = off, as when absent
        }
        Duration idle =
                n.get("stream_idle_timeout_in_seconds").duration(DEFAULT_STREAM_IDLE_TIMEOUT, ChronoUnit.SECONDS);
        if (idle.isZero()) {
            throw n.get("stream_idle_timeout_in_seconds").error("must be positive");
        }
        return new NetworkConfig(
                baseUrl,
                timeout,
                maxRetries,
                initial,
                max,
                n.get("extra_headers").stringMap(),
                firstToken,
                idle);
    }
}
