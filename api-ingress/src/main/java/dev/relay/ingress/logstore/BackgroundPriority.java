package dev.relay.ingress.logstore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log store's CPU priority. Its projection and the dashboard's queries are background work: on a busy machine they
 * should get the CPU the request path leaves, not a fair share of it. On Linux every thread has a nice value of its
 * own, so a thread can lower its own priority (nice 19, which needs no privilege): the scheduler then gives it about
 * 1/70 of a contended core, and a sync-path thread that wakes up runs before it. The JDK has no call for this, so the
 * thread finds its own id in {@code /proc/thread-self/stat} and runs {@code renice}. Elsewhere, or without
 * {@code renice}, threads keep the normal priority and the log says so once.
 */
public final class BackgroundPriority {

    /** The lowest priority a thread can give itself. */
    public static final int NICE = 19;

    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    private static final Path THREAD_SELF = Path.of("/proc/thread-self/stat");
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private BackgroundPriority() {}

    /**
     * Gives the calling platform thread the lowest CPU priority; false (and one log line per JVM) when this system
     * cannot.
     */
    public static boolean lowerCurrentThread() {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread has no OS thread of its own to renice");
        }
        Optional<ProcStat> self = currentThreadStat();
        if (self.isEmpty()) {
            return unavailable("no /proc/thread-self (not Linux)");
        }
        String tid = Integer.toString(self.get().id());
        try {
            Process renice = new ProcessBuilder("renice", "-n", Integer.toString(NICE), "-p", tid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!renice.waitFor(10, TimeUnit.SECONDS)) {
                renice.destroyForcibly();
                return unavailable("renice did not finish in 10 s");
            }
            return renice.exitValue() == 0 || unavailable("renice exited " + renice.exitValue());
        } catch (IOException e) {
            return unavailable("renice could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The calling thread's nice value, where the system shows it (Linux). */
    public static OptionalInt niceOfCurrentThread() {
        return currentThreadStat().map(s -> OptionalInt.of(s.nice())).orElse(OptionalInt.empty());
    }

    /**
     * A fixed pool of platform threads that each lower their own priority first when {@code low} is set: the
     * dashboard's queries run there, so a heavy search waits for CPU instead of taking it from the request path.
     */
    public static ExecutorService executor(String name, int threads, boolean low) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> Thread.ofPlatform()
                .name(name + "-" + n.incrementAndGet())
                .daemon()
                .unstarted(() -> {
                    if (low) {
                        lowerCurrentThread();
                    }
                    r.run();
                });
        return Executors.newFixedThreadPool(threads, factory);
    }

    /** The calling thread's {@code stat}, where the system shows it (Linux). */
    private static Optional<ProcStat> currentThreadStat() {
        try {
            return Optional.of(ProcStat.read(THREAD_SELF));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static boolean unavailable(String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.info("the log store runs at normal CPU priority: {}", why);
        }
        return false;
    }
}
