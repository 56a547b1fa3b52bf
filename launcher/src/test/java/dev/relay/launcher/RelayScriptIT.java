package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code ./relay} decides whether to rebuild from the sources outside {@code target/} only: right after a build,
 * {@code ./relay --version} runs the jar twice without invoking Maven, even when a build directory holds files newer
 * than the jar (as the bench's generated JMH sources are after {@code verify}).
 */
@Tag("it")
class RelayScriptIT {

    @Test
    void shouldNotRebuildAfterABuildEvenWithNewerFilesUnderTarget() throws Exception {
        Path home = Path.of("").toAbsolutePath().getParent(); // failsafe runs in launcher/
        Path jar = home.resolve("launcher/target/relay-launcher.jar");
        assertThat(home.resolve("relay")).isExecutable();
        assertThat(jar).as("packaged before the integration tests").exists();
        // a generated source newer than the jar, in a build directory
        Path probe = home.resolve("launcher/target/staleness-probe/Probe.java");
        Files.createDirectories(probe.getParent());
        Files.writeString(probe, "class Probe {}\n");
        Files.setLastModifiedTime(probe, FileTime.from(Instant.now().plusSeconds(60)));
        FileTime built = Files.getLastModifiedTime(jar);

        for (int run = 1; run <= 2; run++) {
            String output = relayVersion(home);
            assertThat(output).as("run %d", run).contains("relay ").doesNotContain("building");
        }
        assertThat(Files.getLastModifiedTime(jar)).as("the jar was not rebuilt").isEqualTo(built);
    }

    private static String relayVersion(Path home) throws IOException, InterruptedException {
        Path out = Files.createTempFile("relay-version", ".txt");
        try {
            Process p = new ProcessBuilder("./relay", "--version")
                    .directory(home.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("./relay --version did not finish in 120 s: " + Files.readString(out));
            }
            String output = Files.readString(out);
            assertThat(p.exitValue()).as(output).isZero();
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
