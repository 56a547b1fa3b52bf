package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Relay's {@code ingress} section. An empty {@code apiKeys} list means no auth. {@code adminKeys} guard the dashboard's
 * replay and redeliver actions (none configured: those actions are refused whenever {@code apiKeys} are set).
 * Streaming: {@code max_stream_bytes} (default 8 MB) caps what one caller's stream may carry; {@code stream_mode}
 * {@code live} (default) or {@code buffered} is the mode of requests without an {@code x-relay-stream-mode} header;
 * {@code stream_partition} is the {@code relay.stream} partition this instance reads (default: chosen at start; give
 * each instance its own).
 */
public record IngressSettings(
        String host,
        int port,
        List<Secret> apiKeys,
        long maxBodyBytes,
        Duration syncTimeout,
        Duration idempotencyWindow,
        List<Secret> adminKeys,
        long maxStreamBytes,
        String streamMode,
        int streamPartition) {

    public static final long DEFAULT_MAX_STREAM_BYTES = 8L * 1024 * 1024;
    public static final String STREAM_LIVE = "live";
    public static final String STREAM_BUFFERED = "buffered";
    /** No {@code stream_partition} configured: the instance picks one when it starts. */
    public static final int ANY_PARTITION = -1;

    /** With the streaming defaults. */
    public IngressSettings(
            String host,
            int port,
            List<Secret> apiKeys,
            long maxBodyBytes,
            Duration syncTimeout,
            Duration idempotencyWindow,
            List<Secret> adminKeys) {
        this(
                host,
                port,
                apiKeys,
                maxBodyBytes,
                syncTimeout,
                idempotencyWindow,
                adminKeys,
                DEFAULT_MAX_STREAM_BYTES,
                STREAM_LIVE,
                ANY_PARTITION);
    }

    static IngressSettings read(Node n, List<String> warnings) {
        return new IngressSettings(
                n.get("host").string("127.0.0.1"),
                n.get("port").integer(8080, 0, 65535),
                keys(n.get("api_keys"), warnings),
                n.get("max_body_bytes").integer(1_048_576, 1024, Integer.MAX_VALUE),
                n.get("sync_timeout").duration(Duration.ofSeconds(60), ChronoUnit.SECONDS),
                n.get("idempotency_window").duration(Duration.ofHours(24), ChronoUnit.SECONDS),
                keys(n.get("admin_keys"), warnings),
                n.get("max_stream_bytes").integer((int) DEFAULT_MAX_STREAM_BYTES, 1024, Integer.MAX_VALUE),
                streamMode(n.get("stream_mode")),
                n.get("stream_partition").integer(ANY_PARTITION, 0, 100_000));
    }

    /** The same settings on another port. */
    public IngressSettings withPort(int newPort) {
        return new IngressSettings(
                host,
                newPort,
                apiKeys,
                maxBodyBytes,
                syncTimeout,
                idempotencyWindow,
                adminKeys,
                maxStreamBytes,
                streamMode,
                streamPartition);
    }

    private static List<Secret> keys(Node list, List<String> warnings) {
        List<Secret> keys = new ArrayList<>();
        for (Node k : list.list()) {
            k.secret()
                    .ifPresentOrElse(
                            keys::add,
                            () -> warnings.add(k.path() + ": env var "
                                    + k.envVariable().orElse("?") + " is not set; key ignored"));
        }
        return List.copyOf(keys);
    }

    private static String streamMode(Node n) {
        String mode = n.string(STREAM_LIVE);
        if (!mode.equals(STREAM_LIVE) && !mode.equals(STREAM_BUFFERED)) {
            throw n.error("expected \"live\" or \"buffered\", got \"" + mode + "\"");
        }
        return mode;
    }
}
