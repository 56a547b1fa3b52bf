package dev.relay.launcher;

import dev.relay.testkit.StackConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A role run as the operator runs it: {@code RelayMain processor|ingress --config FILE} in a JVM of its own. */
final class RoleJvm {

    private RoleJvm() {}

    /**
     * A new directory {@code target/NAME/XXXXXXXX} for one test's child JVMs: their config, state and logs stay there
     * for a look after a failure.
     */
    static Path workDir(String name) throws IOException {
        return Files.createDirectories(
                Path.of("target", name, UUID.randomUUID().toString().substring(0, 8))
                        .toAbsolutePath());
    }

    /** Writes {@code config}, its state directory {@code dir/state}, to {@code dir/config.json}; that file. */
    static Path writeConfig(Path dir, StackConfig config) throws IOException {
        return Files.writeString(
                dir.resolve("config.json"),
                config.stateDir(dir.resolve("state")).json());
    }

    /**
     * Starts {@code RelayMain processor} on {@code dir/config.json}, its output in {@code dir/RUN.log}, and waits until
     * its streams run; the process is killed when it does not within a minute.
     */
    static Process runningProcessor(Path dir, String run) throws Exception {
        Path log = dir.resolve(run + ".log");
        Process p = start("processor", dir.resolve("config.json"), log);
        try {
            awaitLine(log, "-> RUNNING", Duration.ofSeconds(60));
            return p;
        } catch (Exception | AssertionError e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /** Starts {@code RelayMain role --config config} on this JVM's java and class path; its output goes to {@code log}. */
    static Process start(String role, Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "-Xmx512m",
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        RelayMain.class.getName(),
                        role,
                        "--config",
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Waits until {@code log} contains {@code needle}; fails with the log when it does not within {@code timeout}. */
    static void awaitLine(Path log, String needle, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (Files.exists(log) && Files.readString(log).contains(needle)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no \"" + needle + "\" in " + log + " within " + timeout + ":\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    /** SIGTERM (the shutdown hook closes the role), then a kill if it has not exited within 60 s; the exit code. */
    static int stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        return p.exitValue();
    }
}
