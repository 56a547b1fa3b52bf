package dev.relay.replay;

import java.io.PrintWriter;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long run: a progress bar with an ETA (me.tongfei:progressbar, on stderr) when the output is a
 * terminal, plain lines (every 10% or 5 s) otherwise, so logs and CI output stay readable.
 */
public interface Progress extends AutoCloseable {

    void step();

    @Override
    void close();

    static Progress create(String task, long total, boolean terminal, PrintWriter plainOut) {
        if (total <= 0) {
            return new Plain(task, 0, plainOut);
        }
        if (terminal) {
            ProgressBar bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(total)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setUpdateIntervalMillis(200)
                    .showSpeed()
                    .build();
            return new Progress() {
                @Override
                public void step() {
                    bar.step();
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        }
        return new Plain(task, total, plainOut);
    }

    /** Whether stdout is an interactive terminal ({@code Console.isTerminal()} on JDK 22+, looked up reflectively). */
    static boolean stdoutIsTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only when both stdin and stdout are terminals
        }
    }

    /** Plain progress lines for non-terminal output. */
    final class Plain implements Progress {
        private static final long EVERY_NANOS = Duration.ofSeconds(5).toNanos();
        private final String task;
        private final long total;
        private final PrintWriter out;
        private final long started = System.nanoTime();
        private long done;
        private long lastLine = System.nanoTime();
        private long lastTenth;

        Plain(String task, long total, PrintWriter out) {
            this.task = task;
            this.total = total;
            this.out = out;
        }

        @Override
        public void step() {
            done++;
            long tenth = total == 0 ? 0 : done * 10 / total;
            long now = System.nanoTime();
            if (tenth > lastTenth || now - lastLine > EVERY_NANOS) {
                lastTenth = tenth;
                lastLine = now;
                double secs = (now - started) / 1e9;
                double rate = secs > 0 ? done / secs : 0;
                long etaSecs = rate > 0 ? Math.round((total - done) / rate) : -1;
                out.printf(
                        "%s: %d/%d (%d%%), %.0f/s, ETA %s%n",
                        task, done, total, done * 100 / total, rate, etaSecs < 0 ? "?" : etaSecs + " s");
                out.flush();
            }
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}
