package dev.relay.launcher;

import dev.relay.replay.ReplayMain;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code ./relay replay ...}: hands every argument to the replay tool. */
@Command(
        name = "replay",
        description = "Find failed jobs in the log and run them again (see ./relay replay --help).",
        mixinStandardHelpOptions = false)
final class ReplayCommand implements Callable<Integer> {

    // With no options and no positional parameters declared, picocli hands every argument over as unmatched, in
    // the order given, so option values stay next to their options (--config FILE).
    @Unmatched
    List<String> unmatched = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        return ReplayMain.run(unmatched.toArray(String[]::new));
    }
}
