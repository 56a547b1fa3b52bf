package dev.relay.launcher;

import dev.relay.ingress.RelayIngress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./relay ingress --config FILE}: the HTTP ingress alone. */
@Command(
        name = "ingress",
        mixinStandardHelpOptions = true,
        description = "Run the HTTP ingress alone against the Kafka and registry named in the config.")
final class IngressCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Config file (default: $RELAY_CONFIG, then ./config.json).")
    Path config;

    @Override
    public Integer call() throws Exception {
        return RoleRunner.run(
                "ingress",
                config,
                RelayIngress::start,
                (cfg, http) ->
                        "relay ingress listening on http://" + cfg.ingress().host() + ":" + http.port());
    }
}
