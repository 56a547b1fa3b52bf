package dev.relay.processor;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relay processor --config FILE}: runs the processor until it is stopped (SIGTERM closes it cleanly). */
@Command(
        name = "processor",
        mixinStandardHelpOptions = true,
        description = "Runs Relay's Kafka Streams processor: tries each job's fallback chain and writes results.")
public final class ProcessorMain implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "Relay config.json (Bifrost shape)")
    Path config;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProcessorMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        RelayConfig relay;
        try {
            relay = ConfigLoader.fromSystemEnv().load(config);
        } catch (ConfigException e) {
            System.err.println("relay processor: " + e.getMessage());
            return 2;
        }
        relay.warnings().forEach(w -> System.err.println("relay processor: warning: " + w));
        CountDownLatch stopped = new CountDownLatch(1);
        RelayProcessor processor = RelayProcessor.start(relay);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            processor.close();
                            stopped.countDown();
                        },
                        "relay-processor-shutdown"));
        stopped.await();
        return 0;
    }
}
