package dev.relay.launcher;

import dev.relay.replay.ReplayMain;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code ./relay replay ...}: hands every argument to the replay tool. */
@Command(name = "replay", description = "Find failed jobs in the log and run them again (see ./relay replay --help).",
        mixinStandardHelpOptions = false)
final class ReplayCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", description = "Replay tool arguments (try --help).")
    List<String> args = new java.util.ArrayList<>();

    @Unmatched
    List<String> unmatched = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        // options the launcher does not know (all of the replay tool's) arrive unmatched; keep their order
        List<String> all = new java.util.ArrayList<>(unmatched);
        all.addAll(args);
        return ReplayMain.run(all.toArray(String[]::new));
    }
}
