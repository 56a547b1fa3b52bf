package dev.relay.config;

/** A config file that cannot be used. The message starts with the JSON path of the bad value. */
public final class ConfigException extends RuntimeException {

    private final String path;

    public ConfigException(String path, String problem) {
        super(path + ": " + problem);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
