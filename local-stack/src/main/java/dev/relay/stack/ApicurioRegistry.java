package dev.relay.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Apicurio Registry (its distribution from Maven Central) as a child JVM on 127.0.0.1, speaking the Confluent
 * API at {@link #ccompatUrl()} with BACKWARD compatibility and canonical hashing (so whitespace-only differences do not
 * make new ids, as in Confluent). Storage is an H2 file under {@code dataDir}, or in memory when it is null.
 * The registry's own output goes to {@link #logFile()}, never to our console.
 */
public final class ApicurioRegistry implements AutoCloseable {

    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";
    private static final Logger LOG = LoggerFactory.getLogger(ApicurioRegistry.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Writing the class data archive at exit takes a few seconds, more on a busy machine. */
    private static final Duration STOP_TIMEOUT_RECORDING = Duration.ofSeconds(60);

    private final Process process;
    private final ClassDataArchive cds;
    private final int port;
    private final Path logFile;
    private final boolean temporaryLog;
    private final Thread shutdownHook;
    private boolean closed;

    private ApicurioRegistry(
            Process process, ClassDataArchive cds, int port, Path logFile, boolean temporaryLog, Thread shutdownHook) {
        this.process = process;
        this.cds = cds;
        this.port = port;
        this.logFile = logFile;
        this.temporaryLog = temporaryLog;
        this.shutdownHook = shutdownHook;
    }

    /** Starts the registry and waits until its Confluent API answers. */
    public static ApicurioRegistry start(Path dataDir, int port) {
        return start(dataDir, port, ApicurioDistribution.fromEnvironment().home());
    }

    /** As {@link #start(Path, int)}, from an unpacked distribution home (the directory holding quarkus-run.jar). */
    public static ApicurioRegistry start(Path dataDir, int port, Path home) {
        requireJava21();
        OrphanReaper.reap();
        long t0 = System.nanoTime();
        int httpPort = FreePorts.orPick(port, "the schema registry");
        int managementPort = FreePorts.pick();
        Path dir = dataDir == null ? null : Dirs.create(dataDir.toAbsolutePath());
        Path log = logFile(dir);
        ClassDataArchive cds = ClassDataArchive.forHome(home);
        List<String> command = command(home, dir, httpPort, managementPort, cds == null ? List.of() : cds.jvmOptions());
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch " + command.get(0), e);
        }
        Thread hook = new Thread(() -> stop(process, cds), "apicurio-registry-stopper");
        Runtime.getRuntime().addShutdownHook(hook);
        ApicurioRegistry registry = new ApicurioRegistry(process, cds, httpPort, log, dir == null, hook);
        try {
            registry.awaitReady();
            registry.setGlobalBackward();
        } catch (RuntimeException e) {
            registry.stopProcess();
            throw new IllegalStateException(
                    "Apicurio Registry did not start on port " + httpPort + " (see " + log + "): " + e.getMessage()
                            + tail(log),
                    e);
        }
        LOG.info(
                "Apicurio Registry ready at {} in {} ms (storage {}, log {})",
                registry.ccompatUrl(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                dir == null ? "in memory" : dir,
                log);
        return registry;
    }

    static List<String> command(Path home, Path dataDir, int httpPort, int managementPort, List<String> jvmOptions) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String datasource = dataDir == null
                ? "jdbc:h2:mem:relay_registry"
                : "jdbc:h2:file:" + dataDir.resolve("h2").resolve("registry");
        List<String> cmd = new ArrayList<>(List.of(
                java,
                // a local registry holds a few hundred schemas: a small heap, one GC thread and C1 only start faster
                "-Xms64m",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto",
                "-D" + OrphanReaper.PARENT_PID_PROPERTY + "="
                        + ProcessHandle.current().pid(),
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + httpPort,
                // the management interface defaults to port 9000: parallel registries would clash
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort,
                "-Dapicurio.rules.global.compatibility=BACKWARD",
                "-Dapicurio.ccompat.use-canonical-hash=true",
                "-Dapicurio.storage.kind=sql",
                "-Dapicurio.storage.sql.kind=h2",
                "-Dapicurio.datasource.url=" + datasource,
                "-Dapicurio.datasource.jdbc.initial-size=2",
                "-Dapicurio.datasource.jdbc.min-size=2",
                "-Dapicurio.datasource.jdbc.max-size=20",
                "-jar",
                home.resolve(ApicurioDistribution.RUN_JAR).toString()));
        cmd.addAll(1, jvmOptions);
        return cmd;
    }

    private static Path logFile(Path dataDir) {
        try {
            return dataDir == null ? Files.createTempFile("relay-registry-", ".log") : dataDir.resolve("registry.log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the registry log file", e);
        }
    }

    private static void requireJava21() {
        if (Runtime.version().feature() < 21) {
            throw new IllegalStateException("Apicurio Registry " + ApicurioDistribution.version()
                    + " needs Java 21 or newer; this JVM is " + Runtime.version());
        }
    }

    private void awaitReady() {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(ccompatUrl() + "/subjects"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the registry process exited with code " + process.exitValue());
            }
            try {
                HttpResponse<Void> resp = http.send(probe, HttpResponse.BodyHandlers.discarding());
                if (resp.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + resp.statusCode();
            } catch (IOException e) {
                last = e.toString(); // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the registry", e);
            }
            sleep(100);
        }
        throw new IllegalStateException(
                "no 200 from " + probe.uri() + " within " + READY_TIMEOUT + " (last: " + last + ")");
    }

    /** The system property enforces BACKWARD; PUT /config also makes GET /config report it, as Confluent does. */
    private void setGlobalBackward() {
        HttpRequest put = HttpRequest.newBuilder(URI.create(ccompatUrl() + "/config"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}"))
                .build();
        try {
            HttpResponse<String> resp = HttpClient.newHttpClient().send(put, HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() / 100 != 2) {
                throw new IllegalStateException("PUT /config answered " + resp.statusCode() + ": " + resp.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The Confluent-compatible API, for example {@code http://127.0.0.1:8081/apis/ccompat/v7}. */
    public String ccompatUrl() {
        return "http://127.0.0.1:" + port + CCOMPAT_PATH;
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    /** Stops the child JVM (SIGTERM, then SIGKILL after a timeout). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        stopProcess();
        if (temporaryLog) {
            try {
                Files.deleteIfExists(logFile);
            } catch (IOException e) {
                // a leftover temp log is harmless
            }
        }
        LOG.info(
                "Apicurio Registry on port {} stopped in {} ms",
                port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private void stopProcess() {
        stop(process, cds);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the hook does the same work
        }
    }

    /** SIGTERM, then SIGKILL after a timeout; then keeps the class data archive only if the JVM ended cleanly. */
    private static void stop(Process process, ClassDataArchive cds) {
        boolean graceful = true;
        if (process.isAlive()) {
            process.destroy();
            Duration timeout = cds != null && cds.recording() ? STOP_TIMEOUT_RECORDING : STOP_TIMEOUT;
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    graceful = false;
                    process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                graceful = false;
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (cds != null) {
            cds.finish(graceful && !process.isAlive());
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return "\n--- last lines of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
