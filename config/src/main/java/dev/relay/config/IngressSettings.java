package dev.relay.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Relay's {@code ingress} section. An empty {@code apiKeys} list means no auth. */
public record IngressSettings(String host, int port, List<Secret> apiKeys, long maxBodyBytes, Duration syncTimeout,
        Duration idempotencyWindow) {

    static IngressSettings read(Node n, List<String> warnings) {
        List<Secret> keys = new ArrayList<>();
        for (Node k : n.get("api_keys").list()) {
            k.secret().ifPresentOrElse(keys::add,
                    () -> warnings.add(k.path() + ": env var " + k.envVariable().orElse("?") + " is not set; key ignored"));
        }
        return new IngressSettings(
                n.get("host").string("127.0.0.1"),
                n.get("port").integer(8080, 0, 65535),
                List.copyOf(keys),
                n.get("max_body_bytes").integer(1_048_576, 1024, Integer.MAX_VALUE),
                n.get("sync_timeout").duration(Duration.ofSeconds(60), ChronoUnit.SECONDS),
                n.get("idempotency_window").duration(Duration.ofHours(24), ChronoUnit.SECONDS));
    }
}
