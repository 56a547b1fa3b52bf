package dev.relay.launcher;

import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./relay ingress --config FILE}: the HTTP ingress alone. */
@Command(name = "ingress", mixinStandardHelpOptions = true,
        description = "Run the HTTP ingress alone against the Kafka and registry named in the config.")
final class IngressCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Config file (default: $RELAY_CONFIG, then ./config.json).")
    Path config;

    @Override
    public Integer call() throws Exception {
        RelayConfig cfg = ConfigFiles.load(ConfigFiles.resolve(config, false));
        CountDownLatch stop = new CountDownLatch(1);
        try (RelayIngress ingress = RelayIngress.start(cfg)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "relay-stop"));
            System.out.println("relay ingress listening on http://" + cfg.ingress().host() + ":" + ingress.port()
                    + ". Ctrl-C stops it.");
            stop.await();
        }
        return 0;
    }
}
