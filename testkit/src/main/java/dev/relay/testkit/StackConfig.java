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
 * state directory, the topics' number of hops as {@code max_fallbacks}, and short commit and poll intervals; the
 * circuit breaker is off and the metrics and ingress ports are 0. Providers are added one by one; any other section is
 * spliced in verbatim and replaces a default one.
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
        return provider(name, """
                {"type": "%s", "keys": [{"name": "%s", "value": "%s"}],
                 "network_config": {"base_url": "%s", "max_retries": 0}}""".formatted(type, keyName, keyValue, baseUrl));
    }

    /**
     * A provider of {@code type} ({@code openai} or {@code anthropic}) with one key at {@code baseUrl}, whose batch API
     * takes the items of 24 h batches: a provider batch holds at most 2000 items, is sealed 300 ms after its first and
     * polled every 200 ms; a failed item is retried once (10 to 50 ms apart) before the next hop.
     */
    public StackConfig batchProvider(String name, String type, String keyName, String keyValue, String baseUrl) {
        return provider(name, """
                {"type": "%s", "keys": [{"name": "%s", "value": "%s"}],
                 "network_config": {"base_url": "%s", "max_retries": 1, "retry_backoff_initial": 10,
                                    "retry_backoff_max": 50},
                 "concurrency_and_buffer_size": {"buffer_size": 1000000},
                 "batch": {"enabled": true, "max_items": 2000, "max_wait": "300ms", "poll_interval": "200ms"}}""".formatted(type, keyName, keyValue, baseUrl));
    }

    /**
     * The two batch providers of the batch tier's tests ({@link #batchProvider}): {@code openai} at {@code openaiUrl}
     * (key {@code oa-batch}) and {@code anthropic} at {@code anthropicUrl} (key {@code an-batch}).
     */
    public StackConfig openAiAndAnthropicBatches(String openaiUrl, String anthropicUrl) {
        return batchProvider("openai", "openai", "oa-batch", "sk-openai", openaiUrl)
                .batchProvider("anthropic", "anthropic", "an-batch", "sk-ant", anthropicUrl);
    }

    /** A provider as {@code json}, verbatim (the body of its entry in the {@code providers} section). */
    public StackConfig provider(String name, String json) {
        providers.put(name, json);
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
                         "max_fallbacks": %d, "application_id": "%sprocessor", "state_dir": "%s",
                         "commit_interval": "20ms", "poll_interval": "5ms"}""".formatted(
                        stack.bootstrapServers(),
                        stack.registryUrl(),
                        topics.prefix(),
                        topics.maxHops(),
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
