package dev.relay.launcher;

import dev.relay.config.RelayConfig;
import dev.relay.processor.RelayProcessor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./relay processor --config FILE}: the processor alone, against any Kafka and registry. */
@Command(name = "processor", mixinStandardHelpOptions = true,
        description = "Run the fallback processor alone against the Kafka and registry named in the config.")
final class ProcessorCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Config file (default: $RELAY_CONFIG, then ./config.json).")
    Path config;

    @Override
    public Integer call() throws Exception {
        RelayConfig cfg = ConfigFiles.load(ConfigFiles.resolve(config, false));
        CountDownLatch stop = new CountDownLatch(1);
        try (RelayProcessor processor = RelayProcessor.start(cfg)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "relay-stop"));
            System.out.println("relay processor running against " + cfg.kafka().bootstrapServers()
                    + " (metrics on :" + cfg.metricsPort() + "/metrics). Ctrl-C stops it.");
            stop.await();
        }
        return 0;
    }
}
