package dev.relay.stack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops registry child JVMs whose parent JVM is gone. A shutdown hook covers normal exits and Ctrl-C, but not
 * {@code kill -9} of the parent (or a test fork killed by a timeout): each child carries its parent's pid as a system
 * property, and the next registry start on this machine stops the children of dead parents.
 */
final class OrphanReaper {

    static final String PARENT_PID_PROPERTY = "relay.registry.parent-pid";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);

    private OrphanReaper() {}

    /** Stops every orphan and waits until it is gone, so its port and its H2 file are free for the next start. */
    static void reap() {
        String marker = "-D" + PARENT_PID_PROPERTY + "=";
        List<ProcessHandle> orphans = new ArrayList<>();
        ProcessHandle.allProcesses()
                .forEach(p -> parentPid(p, marker).ifPresent(parent -> {
                    boolean parentAlive =
                            ProcessHandle.of(parent).map(ProcessHandle::isAlive).orElse(false);
                    if (!parentAlive && p.isAlive()) {
                        LOG.warn(
                                "Stopping orphaned Apicurio Registry pid {} (its parent pid {} is gone)",
                                p.pid(),
                                parent);
                        p.destroy();
                        orphans.add(p);
                    }
                }));
        for (ProcessHandle p : orphans) {
            try {
                p.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Optional<Long> parentPid(ProcessHandle p, String marker) {
        try {
            return p.info()
                    .arguments()
                    .flatMap(args -> Arrays.stream(args)
                            .filter(a -> a.startsWith(marker))
                            .findFirst()
                            .map(a -> Long.parseLong(a.substring(marker.length()))));
        } catch (RuntimeException e) {
            return Optional.empty(); // another user's process, or one that just ended
        }
    }
}
