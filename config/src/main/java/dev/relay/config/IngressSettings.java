package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Relay's {@code ingress} section. An empty {@code apiKeys} list means no auth. {@code adminKeys} guard the dashboard's
 * replay and redeliver actions (none configured: those actions are refused whenever {@code apiKeys} are set).
 */
public record IngressSettings(String host, int port, List<Secret> apiKeys, long maxBodyBytes, Duration syncTimeout,
        Duration idempotencyWindow, List<Secret> adminKeys) {

    static IngressSettings read(Node n, List<String> warnings) {
        return new IngressSettings(
                n.get("host").string("127.0.0.1"),
                n.get("port").integer(8080, 0, 65535),
                keys(n.get("api_keys"), warnings),
                n.get("max_body_bytes").integer(1_048_576, 1024, Integer.MAX_VALUE),
                n.get("sync_timeout").duration(Duration.ofSeconds(60), ChronoUnit.SECONDS),
                n.get("idempotency_window").duration(Duration.ofHours(24), ChronoUnit.SECONDS),
                keys(n.get("admin_keys"), warnings));
    }

    /** The same settings on another port. */
    public IngressSettings withPort(int newPort) {
        return new IngressSettings(host, newPort, apiKeys, maxBodyBytes, syncTimeout, idempotencyWindow, adminKeys);
    }

    private static List<Secret> keys(Node list, List<String> warnings) {
        List<Secret> keys = new ArrayList<>();
        for (Node k : list.list()) {
            k.secret().ifPresentOrElse(keys::add,
                    () -> warnings.add(k.path() + ": env var " + k.envVariable().orElse("?") + " is not set; key ignored"));
        }
        return List.copyOf(keys);
    }
}
