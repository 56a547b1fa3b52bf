package dev.relay.launcher;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the config file: {@code --config}, else {@code RELAY_CONFIG}, else {@code ./config.json} (created from the example). */
final class ConfigFiles {

    private static final Logger log = LoggerFactory.getLogger(ConfigFiles.class);
    static final String EXAMPLE = "config.example.json";

    private ConfigFiles() {}

    static Path resolve(Path explicit, boolean createDefault) {
        if (explicit != null) {
            return explicit;
        }
        String env = System.getenv("RELAY_CONFIG");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path local = Path.of("config.json");
        if (!Files.exists(local) && createDefault) {
            Path home = Path.of(System.getProperty("relay.home", "."));
            Path example = home.resolve(EXAMPLE);
            try {
                if (Files.exists(example)) {
                    Files.copy(example, local);
                } else {
                    try (var in = ConfigFiles.class.getResourceAsStream("/" + EXAMPLE)) {
                        if (in == null) {
                            throw new ConfigException(
                                    local.toString(), "missing, and no " + EXAMPLE + " to create it from");
                        }
                        Files.copy(in, local);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + local.toAbsolutePath(), e);
            }
            log.info("created {} from {}; edit it to add provider keys", local.toAbsolutePath(), EXAMPLE);
        }
        return local;
    }

    static RelayConfig load(Path file) {
        RelayConfig config = ConfigLoader.fromSystemEnv().load(file);
        // reported once, where the file is read: unset key variables, api keys ignored, unsigned webhooks
        config.warnings().forEach(w -> log.warn("config: {}", w));
        return config;
    }
}
