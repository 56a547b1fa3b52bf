package dev.relay.bench;

import dev.relay.launcher.RelayMain;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A Relay role ({@code RelayMain processor} or {@code RelayMain ingress}) run by a benchmark in a JVM of its own. */
public final class ChildJvm {

    private ChildJvm() {}

    /** The processor role: {@code RelayMain processor}. */
    public static final String PROCESSOR = "processor";

    /** The ingress role: {@code RelayMain ingress}. */
    public static final String INGRESS = "ingress";

    /**
     * Starts {@code RelayMain role --config configFile} on this JVM's java and class path, with {@code options} (e.g.
     * -Xmx512m) and the benchmarks' logging config; its output goes to {@code log}.
     */
    public static Process start(String role, List<String> options, Path configFile, Path log) throws Exception {
        if (!role.equals(PROCESSOR) && !role.equals(INGRESS)) {
            throw new IllegalArgumentException("not a role: " + role);
        }
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dlogback.configurationFile=dev/relay/bench/processor/logback-bench.xml"));
        cmd.addAll(options);
        cmd.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                RelayMain.class.getName(),
                role,
                "--config",
                configFile.toString()));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Options from a system property holding space-separated JVM options; empty when it is not set. */
    public static List<String> options(String property, String fallback) {
        String value = System.getProperty(property, fallback).strip();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    /** A port free right now on this machine, for a child to listen on. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Waits until {@code log} contains {@code needle}; fails at once if the child exits first. */
    public static void awaitLine(Path log, String needle, Process child, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (Files.exists(log) && Files.readString(log).contains(needle)) {
                return;
            }
            if (!child.isAlive()) {
                throw new IllegalStateException("the child JVM exited before '" + needle + "'; see " + log);
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no '" + needle + "' within " + timeout.toSeconds() + " s; see " + log);
    }
}
