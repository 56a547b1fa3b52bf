package dev.relay.processor.provider.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Relay's version, from the resource Maven filters at build time; sent as {@code User-Agent: Relay/<version>}. */
public final class RelayVersion {

    private static final String RESOURCE = "/dev/relay/processor/relay-version.properties";

    private RelayVersion() {}

    public static String version() {
        try (InputStream in = RelayVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "dev");
            return v.startsWith("${") ? "dev" : v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String userAgent() {
        return "Relay/" + version();
    }
}
