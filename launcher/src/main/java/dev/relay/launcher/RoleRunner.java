package dev.relay.launcher;

import dev.relay.config.RelayConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Runs one role ({@code processor} or {@code ingress}) from the config until the JVM is asked to stop. */
final class RoleRunner {

    private RoleRunner() {}

    static <T extends AutoCloseable> int run(
            Path explicitConfig, Function<RelayConfig, T> start, BiFunction<RelayConfig, T, String> banner)
            throws Exception {
        RelayConfig cfg = ConfigFiles.load(ConfigFiles.resolve(explicitConfig, false));
        CountDownLatch stop = new CountDownLatch(1);
        try (T role = start.apply(cfg)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "relay-stop"));
            System.out.println(banner.apply(cfg, role) + ". Ctrl-C stops it.");
            stop.await();
        }
        return 0;
    }
}
