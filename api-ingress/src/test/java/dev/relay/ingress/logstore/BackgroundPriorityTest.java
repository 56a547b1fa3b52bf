package dev.relay.ingress.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The log store's threads lower their own CPU priority, and only their own (Linux: a nice value per thread). */
class BackgroundPriorityTest {

    @BeforeAll
    static void linux() {
        assumeTrue(Files.isReadable(Path.of("/proc/thread-self/stat")), "needs Linux's /proc/thread-self");
    }

    @Test
    void shouldLowerTheCallingThreadOnly() throws Exception {
        int before = BackgroundPriority.niceOfCurrentThread().orElseThrow();
        AtomicReference<OptionalInt> lowered = new AtomicReference<>();
        AtomicReference<Boolean> ok = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            ok.set(BackgroundPriority.lowerCurrentThread());
            lowered.set(BackgroundPriority.niceOfCurrentThread());
        });
        t.join();

        assertThat(ok.get()).isTrue();
        assertThat(lowered.get()).hasValue(BackgroundPriority.NICE);
        assertThat(BackgroundPriority.niceOfCurrentThread()).hasValue(before);
    }

    @Test
    void shouldRunAPoolAtTheLowestPriorityOnlyWhenAsked() throws Exception {
        int normal = BackgroundPriority.niceOfCurrentThread().orElseThrow();
        ExecutorService low = BackgroundPriority.executor("test-low", 2, true);
        ExecutorService same = BackgroundPriority.executor("test-same", 2, false);
        try {
            assertThat(low.submit(BackgroundPriority::niceOfCurrentThread).get())
                    .hasValue(BackgroundPriority.NICE);
            assertThat(same.submit(BackgroundPriority::niceOfCurrentThread).get())
                    .hasValue(normal);
            assertThat(low.submit(() -> Thread.currentThread().getName()).get()).startsWith("test-low-");
        } finally {
            low.shutdownNow();
            same.shutdownNow();
        }
    }

    @Test
    void shouldRefuseAVirtualThread() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread.ofVirtual()
                .start(() -> {
                    try {
                        BackgroundPriority.lowerCurrentThread();
                    } catch (IllegalStateException e) {
                        thrown.set(e);
                    }
                })
                .join();
        assertThat(thrown.get()).hasMessageContaining("virtual thread");
    }
}
