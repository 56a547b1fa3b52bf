package dev.relay.config;

/**
 * Relay's {@code otel} section: OpenTelemetry traces (one trace per job), exported over OTLP/HTTP to
 * {@code endpoint} when {@code enabled}. Off by default; then no span is recorded.
 */
public record OtelSettings(boolean enabled, String endpoint, String serviceName) {

    public static final String DEFAULT_ENDPOINT = "http://localhost:4318";

    public static OtelSettings disabled() {
        return new OtelSettings(false, DEFAULT_ENDPOINT, "");
    }

    static OtelSettings read(Node n) {
        String endpoint = n.get("endpoint").string(DEFAULT_ENDPOINT);
        if (!endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
            throw n.get("endpoint")
                    .error("expected an http(s) URL of an OTLP/HTTP collector, got \"" + endpoint + "\"");
        }
        return new OtelSettings(
                n.get("enabled").bool(false), endpoint, n.get("service_name").string(""));
    }
}
