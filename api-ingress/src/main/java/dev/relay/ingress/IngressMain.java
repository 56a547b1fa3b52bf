package dev.relay.ingress;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code IngressMain --config FILE}: runs the ingress alone until interrupted. Wiring only. */
public final class IngressMain {

    private IngressMain() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2 || !args[0].equals("--config")) {
            System.err.println("usage: IngressMain --config FILE");
            System.exit(2);
        }
        RelayConfig config;
        try {
            config = ConfigLoader.fromSystemEnv().load(Path.of(args[1]));
        } catch (ConfigException e) {
            System.err.println("config error: " + e.getMessage());
            System.exit(2);
            return;
        }
        config.warnings().forEach(w -> System.err.println("warning: " + w));
        RelayIngress ingress = RelayIngress.start(config);
        System.out.println("relay ingress on port " + ingress.port());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            ingress.close();
                            stop.countDown();
                        },
                        "relay-ingress-shutdown"));
        stop.await();
    }
}
