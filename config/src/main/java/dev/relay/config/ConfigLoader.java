package dev.relay.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads and validates {@code config.json}. Comments ({@code //}, {@code /* *}{@code /}) are allowed. */
public final class ConfigLoader {

    private static final Set<String> TOP_LEVEL = Set.of(
            "$schema",
            "providers",
            "plugins",
            "kafka",
            "ingress",
            "fallback_policy",
            "circuit_breaker",
            "webhooks",
            "metrics",
            "client",
            "config_store",
            "logs_store",
            "otel");

    private final Node.Env env;
    private final Node.Reads reads;

    public ConfigLoader(Node.Env env) {
        this(env, Node.Reads.NONE);
    }

    /** {@code reads} hears every key the readers ask for (see {@link Node.Reads}). */
    public ConfigLoader(Node.Env env, Node.Reads reads) {
        this.env = env;
        this.reads = reads;
    }

    /** The top-level sections a config file may have; any other is an error. */
    public static Set<String> sections() {
        return TOP_LEVEL;
    }

    /** A loader that resolves {@code env.VAR} from the process environment. */
    public static ConfigLoader fromSystemEnv() {
        return new ConfigLoader(name -> Optional.ofNullable(System.getenv(name)));
    }

    public RelayConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    public RelayConfig parse(String text, String origin) {
        JsonNode root;
        try {
            ObjectMapper mapper = new ObjectMapper();
            mapper.enable(JsonParser.Feature.ALLOW_COMMENTS);
            mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new ConfigException(
                    origin,
                    "not valid JSON"
                            + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr())
                            + ": " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(origin, "the config must be a JSON object");
        }
        return read(Node.root(root, env, reads));
    }

    RelayConfig read(Node root) {
        for (String field : root.fields().keySet()) {
            if (!TOP_LEVEL.contains(field)) {
                throw root.get(field).error("unknown section; expected one of " + new java.util.TreeSet<>(TOP_LEVEL));
            }
        }
        List<String> warnings = new ArrayList<>();
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        root.get("providers")
                .fields()
                .forEach((name, n) -> providers.put(name, ProviderConfig.read(name, n, warnings)));
        List<PluginConfig> plugins =
                root.get("plugins").list().stream().map(PluginConfig::read).toList();
        KafkaSettings kafka = KafkaSettings.read(root.get("kafka"));
        return new RelayConfig(
                java.util.Collections.unmodifiableMap(providers),
                plugins,
                kafka,
                IngressSettings.read(root.get("ingress"), warnings),
                CircuitBreakerSettings.read(root.get("circuit_breaker")),
                WebhookSettings.read(root.get("webhooks"), warnings),
                root.get("fallback_policy"),
                root.get("metrics").get("port").integer(9464, 0, 65535),
                LogsStoreSettings.read(root.get("logs_store"), root.get("client"), warnings),
                OtelSettings.read(root.get("otel")),
                List.copyOf(warnings));
    }
}
