package dev.relay.launcher;

import dev.relay.processor.RelayProcessor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./relay processor --config FILE}: the processor alone, against any Kafka and registry. */
@Command(
        name = "processor",
        mixinStandardHelpOptions = true,
        description = "Run the fallback processor alone against the Kafka and registry named in the config.")
final class ProcessorCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Config file (default: $RELAY_CONFIG, then ./config.json).")
    Path config;

    @Override
    public Integer call() throws Exception {
        return RoleRunner.run(
                "processor",
                config,
                RelayProcessor::start,
                (cfg, p) -> "relay processor running against " + cfg.kafka().bootstrapServers() + " (metrics on :"
                        + p.metricsPort() + "/metrics)");
    }
}
