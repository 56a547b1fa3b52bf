package dev.relay.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./relay}: the root command. Each subcommand wires one role (or all of them, for {@code up}). */
@Command(
        name = "relay",
        mixinStandardHelpOptions = true,
        versionProvider = RelayMain.Version.class,
        description = "Relay: durable LLM provider fallback on Apache Kafka.",
        subcommands = {
            UpCommand.class,
            ProcessorCommand.class,
            IngressCommand.class,
            ReplayCommand.class,
            CommandLine.HelpCommand.class
        })
public final class RelayMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RelayMain()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RelayMain.class.getPackage().getImplementationVersion();
            return new String[] {"relay " + (v == null ? "dev" : v)};
        }
    }
}
