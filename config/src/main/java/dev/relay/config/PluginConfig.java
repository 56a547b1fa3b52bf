package dev.relay.config;

/**
 * One entry of {@code plugins[]}. Its {@code config} stays a {@link Node} (with its path) so the plugin validates it
 * itself and names the bad path (the mocker does this at load time).
 */
public record PluginConfig(String name, boolean enabled, Node config) {

    static PluginConfig read(Node n) {
        return new PluginConfig(n.get("name").requiredString(), n.get("enabled").bool(true), n.get("config"));
    }
}
