package dev.relay.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Bifrost's {@code logs_store: {enabled, type, config}} section, plus Bifrost's {@code client.disable_content_logging}.
 * {@code type} is {@code sqlite} ({@code config.path}, default {@code <kafka.state_dir>/logs.db}) or {@code postgres}
 * ({@code config.url} a JDBC URL, {@code config.user}, {@code config.password} as {@code env.VAR}). Relay adds
 * {@code background_priority} (default true): the projection and the dashboard's queries run at the lowest CPU
 * priority, so they use the CPU the request path leaves.
 */
public record LogsStoreSettings(
        boolean enabled,
        String type,
        String path,
        String url,
        String user,
        Optional<Secret> password,
        boolean storeContent,
        boolean backgroundPriority) {

    public static final String SQLITE = "sqlite";
    public static final String POSTGRES = "postgres";

    /** The SQLite file: {@code config.path}, or {@code logs.db} in the kafka state directory. */
    public Path sqlitePath(Path stateDir) {
        return path == null ? stateDir.resolve("logs.db") : Path.of(path);
    }

    static LogsStoreSettings read(Node n, Node client, List<String> warnings) {
        String type = n.get("type").string(SQLITE);
        if (!type.equals(SQLITE) && !type.equals(POSTGRES)) {
            throw n.get("type").error("expected \"sqlite\" or \"postgres\", got \"" + type + "\"");
        }
        Node c = n.get("config");
        String path = c.get("path").string(null);
        String url = c.get("url").string(null);
        if (type.equals(POSTGRES)
                && n.get("enabled").bool(true)
                && (url == null || !url.startsWith("jdbc:postgresql:"))) {
            throw c.get("url").error("a postgres logs store needs a JDBC URL such as \"jdbc:postgresql://host/relay\"");
        }
        Optional<Secret> password = Optional.empty();
        if (c.get("password").present()) {
            password = c.get("password").secret();
            if (password.isEmpty()) {
                warnings.add(c.get("password").path() + ": env var "
                        + c.get("password").envVariable().orElse("?") + " is not set");
            }
        }
        return new LogsStoreSettings(
                n.get("enabled").bool(true),
                type,
                path,
                url,
                c.get("user").string(null),
                password,
                !client.get("disable_content_logging").bool(false),
                n.get("background_priority").bool(true));
    }
}
