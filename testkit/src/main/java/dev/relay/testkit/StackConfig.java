package dev.relay.testkit;

import dev.relay.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The config JSON of a processor and ingress on the test stack, for the loader to parse: the {@code kafka} section
 * points at the stack's broker and registry with the topics' prefix, an application id {@code PREFIXprocessor}, a
 * state directory and short commit and poll intervals; the circuit breaker is off and the metrics and ingress ports
 * are 0. Providers are added one by one; any other section is spliced in verbatim and replaces a default one.
 *
 * <pre>{@code
 * String json = StackConfig.on(STACK, topics)
 *         .provider("openai", "openai", "o1", "sk-o", openai.baseUrl())
 *         .section("webhooks", "{\"allow_private_targets\": true}")
 *         .json();
 * }</pre>
 */
public final class StackConfig {

    private final RelayStackExtension stack;
    private final Topics topics;
    private final Map<String, String> providers = new LinkedHashMap<>();
    private final Map<String, String> sections = new LinkedHashMap<>();
    private Path stateDir;

    private StackConfig(RelayStackExtension stack, Topics topics) {
        this.stack = stack;
        this.topics = topics;
        sections.put("circuit_breaker", "{\"enabled\": false}");
        sections.put("metrics", "{\"port\": 0}");
        sections.put("ingress", "{\"port\": 0}");
    }

    public static StackConfig on(RelayStackExtension stack, Topics topics) {
        return new StackConfig(stack, topics);
    }

    /** A provider of {@code type} with one key and {@code max_retries} 0 at {@code baseUrl}. */
    public StackConfig provider(String name, String type, String keyName, String keyValue, String baseUrl) {
        providers.put(name, """
                {"type": "%s", "keys": [{"name": "%s", "value": "%s"}],
                 "network_config": {"base_url": "%s", "max_retries": 0}}""".formatted(type, keyName, keyValue, baseUrl));
        return this;
    }

    /** The state directory (default: a new temporary directory). */
    public StackConfig stateDir(Path dir) {
        this.stateDir = dir;
        return this;
    }

    /** A top-level section ({@code "webhooks"}, {@code "ingress"}, ...) as JSON, replacing a default one. */
    public StackConfig section(String name, String json) {
        sections.put(name, json);
        return this;
    }

    public String json() {
        StringBuilder out = new StringBuilder("{\"providers\": {");
        String sep = "";
        for (Map.Entry<String, String> p : providers.entrySet()) {
            out.append(sep).append('"').append(p.getKey()).append("\": ").append(p.getValue());
            sep = ",\n ";
        }
        out.append("},\n \"kafka\": ").append("""
                        {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                         "application_id": "%sprocessor", "state_dir": "%s",
                         "commit_interval": "20ms", "poll_interval": "5ms"}""".formatted(
                        stack.bootstrapServers(),
                        stack.registryUrl(),
                        topics.prefix(),
                        topics.prefix(),
                        stateDir().toString().replace("\\", "/")));
        for (Map.Entry<String, String> s : sections.entrySet()) {
            out.append(",\n \"").append(s.getKey()).append("\": ").append(s.getValue());
        }
        return out.append("}\n").toString();
    }

    private Path stateDir() {
        if (stateDir == null) {
            try {
                stateDir = Files.createTempDirectory("relay-it");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return stateDir;
    }
}
