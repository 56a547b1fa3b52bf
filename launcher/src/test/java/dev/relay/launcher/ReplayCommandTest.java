package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ./relay replay ...} must hand the replay tool its arguments exactly as typed. */
class ReplayCommandTest {

    @Test
    void shouldKeepOptionValuesNextToTheirOptions() {
        String[] args = {
            "--config",
            "config.json",
            "--since",
            "2h",
            "--error-class",
            "TRANSIENT",
            "--execute",
            "--chain",
            "anthropic/claude-haiku-4-5,gemini/gemini-2.5-flash"
        };
        String[] all = new String[args.length + 1];
        all[0] = "replay";
        System.arraycopy(args, 0, all, 1, args.length);

        CommandLine.ParseResult parsed = new CommandLine(new RelayMain()).parseArgs(all);

        ReplayCommand replay = (ReplayCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(replay.unmatched).containsExactly(args);
    }
}
