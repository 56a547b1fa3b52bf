package dev.relay.ingress.logstore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fields Relay reads from a Linux thread's or process's {@code stat} file ({@code /proc/thread-self/stat},
 * {@code /proc/PID/task/TID/stat}, {@code /proc/PID/stat}; proc(5)). The file is one line of space-separated fields,
 * but field 2, the name in parentheses, may itself hold spaces and parentheses: the fields after it are counted from
 * the last {@code ')'} of the line.
 *
 * @param id field 1: the thread (or process) id
 * @param comm field 2 without its parentheses: the name as the kernel keeps it (at most 15 bytes)
 * @param utime field 14: CPU time in user mode, in clock ticks
 * @param stime field 15: CPU time in kernel mode, in clock ticks
 * @param nice field 19: the nice value, 19 (lowest priority) to -20
 */
public record ProcStat(int id, String comm, long utime, long stime, int nice) {

    /**
     * Reads and parses one {@code stat} file in a single read, so every field describes the same moment and the same
     * thread.
     *
     * @throws java.nio.file.NoSuchFileException when the thread or process has ended
     */
    public static ProcStat read(Path statFile) throws IOException {
        return parse(Files.readString(statFile));
    }

    /** Parses the text of a {@code stat} file; {@link IllegalArgumentException} when it is not one. */
    public static ProcStat parse(String stat) {
        int open = stat.indexOf(" (");
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat);
        }
        // after ") " comes field 3 (the state): field k is at index k - 3
        String[] f = stat.substring(close + 1).strip().split(" ");
        try {
            return new ProcStat(
                    Integer.parseInt(stat.substring(0, open)),
                    stat.substring(open + 2, close),
                    Long.parseLong(f[14 - 3]),
                    Long.parseLong(f[15 - 3]),
                    Integer.parseInt(f[19 - 3]));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat, e);
        }
    }

    /** utime + stime: the CPU time the thread or process has used, in clock ticks. */
    public long cpuTicks() {
        return utime + stime;
    }
}
