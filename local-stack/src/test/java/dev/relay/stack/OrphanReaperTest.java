package dev.relay.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OrphanReaperTest {

    /** A long-lived stand-in for a registry JVM, carrying the parent-pid marker on its command line. */
    private static Process fakeRegistry(long parentPid) throws Exception {
        return new ProcessBuilder(
                        "/bin/sh", "-c", "sleep 60", "-D" + OrphanReaper.PARENT_PID_PROPERTY + "=" + parentPid)
                .start();
    }

    @Test
    void shouldStopRegistriesWhoseParentIsGoneAndLeaveTheOthers() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh");
        Process finished = new ProcessBuilder("/bin/sh", "-c", "exit 0").start();
        finished.waitFor();
        Process orphan = fakeRegistry(finished.pid());
        Process owned = fakeRegistry(ProcessHandle.current().pid());
        try {
            OrphanReaper.reap();

            assertThat(orphan.waitFor(10, TimeUnit.SECONDS))
                    .as("orphan stopped")
                    .isTrue();
            assertThat(owned.isAlive())
                    .as("a registry whose parent lives is left alone")
                    .isTrue();
        } finally {
            orphan.destroyForcibly();
            owned.destroyForcibly();
        }
    }
}
