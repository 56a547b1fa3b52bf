package dev.relay.replay;

/** A failure the CLI turns into an exit code and one clear message (no stack trace for the operator). */
public final class ReplayException extends RuntimeException {

    private final int exitCode;

    private ReplayException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Bad options or input: exit 2. */
    public static ReplayException usage(String message) {
        return new ReplayException(ReplayMain.EXIT_USAGE, message, null);
    }

    /** Broker or registry did not answer within the timeout: exit 3. */
    public static ReplayException unreachable(String message, Throwable cause) {
        return new ReplayException(ReplayMain.EXIT_UNREACHABLE, message, cause);
    }

    public int exitCode() {
        return exitCode;
    }
}
