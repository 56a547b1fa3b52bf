package dev.relay.replay;

import java.io.PrintWriter;
import java.time.Clock;
import picocli.CommandLine;

/** The replay tool's entry point: {@code ./relay replay ...} or {@code java -cp ... dev.relay.replay.ReplayMain}. */
public final class ReplayMain {

    public static final int EXIT_OK = 0;
    public static final int EXIT_NOTHING_MATCHED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;
    /** A bug or an unexpected failure (EX_SOFTWARE). */
    public static final int EXIT_INTERNAL = 70;
    /** The run was interrupted; what it committed stays committed, and running it again finishes the job. */
    public static final int EXIT_INTERRUPTED = 130;

    private ReplayMain() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command in-process and returns its exit code (tests, the launcher). */
    public static int run(String... args) {
        quietKafkaLogs();
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** The CLI's output is the table and summary; the Kafka clients' INFO lines would bury it. */
    private static void quietKafkaLogs() {
        // only on the CLI path: the launcher runs `replay` in its own JVM, and our messages say what the WARNs would
        if (org.slf4j.LoggerFactory.getLogger("org.apache.kafka") instanceof ch.qos.logback.classic.Logger kafka) {
            kafka.setLevel(ch.qos.logback.classic.Level.ERROR); // unreachable brokers: our message says it once
        }
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(Clock.systemUTC(), out, err, args);
    }

    static int run(Clock clock, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = new CommandLine(new ReplayCommand(clock));
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof ReplayException re) {
                err.println("replay: " + re.getMessage());
                if (re.exitCode() == EXIT_USAGE) {
                    err.println("Try 'replay --help' for the options.");
                }
                err.flush();
                return re.exitCode();
            }
            if (e instanceof Republisher.ReplayInterrupted ri) {
                err.println("replay: stopped: " + ri.getMessage()
                        + "; committed replays stay committed, run the same command again to finish");
                err.flush();
                return EXIT_INTERRUPTED;
            }
            err.println("replay: unexpected error: " + e);
            e.printStackTrace(err);
            err.flush();
            return EXIT_INTERNAL;
        });
        int code = cmd.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
