package dev.relay.stack;

import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops registry child JVMs whose parent JVM is gone. A shutdown hook covers normal exits and Ctrl-C, but not
 * {@code kill -9} of the parent (or a test fork killed by a timeout): each child carries its parent's pid as a system
 * property, and the next registry start on this machine stops the children of dead parents.
 */
final class OrphanReaper {

    static final String PARENT_PID_PROPERTY = "relay.registry.parent-pid";
    private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);

    private OrphanReaper() {}

    static void reap() {
        String marker = "-D" + PARENT_PID_PROPERTY + "=";
        ProcessHandle.allProcesses().forEach(p -> parentPid(p, marker).ifPresent(parent -> {
            boolean parentAlive = ProcessHandle.of(parent).map(ProcessHandle::isAlive).orElse(false);
            if (!parentAlive && p.isAlive()) {
                LOG.warn("Stopping orphaned Apicurio Registry pid {} (its parent pid {} is gone)", p.pid(), parent);
                p.destroy();
            }
        }));
    }

    private static Optional<Long> parentPid(ProcessHandle p, String marker) {
        try {
            return p.info().arguments().flatMap(args -> Arrays.stream(args)
                    .filter(a -> a.startsWith(marker))
                    .findFirst()
                    .map(a -> Long.parseLong(a.substring(marker.length()))));
        } catch (RuntimeException e) {
            return Optional.empty(); // another user's process, or one that just ended
        }
    }
}
