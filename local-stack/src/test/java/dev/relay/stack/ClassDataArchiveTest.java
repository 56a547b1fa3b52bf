package dev.relay.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataArchiveTest {

    @TempDir
    Path cache;

    private static Path recordingOf(ClassDataArchive cds) {
        return Path.of(cds.jvmOptions().get(0).substring("-XX:ArchiveClassesAtExit=".length()));
    }

    @Test
    void shouldRecordFirstThenMapTheArchive() throws Exception {
        Path home = Files.createDirectories(cache.resolve("apicurio-registry-9.9.9"));
        ClassDataArchive first = ClassDataArchive.forHome(home);
        assertThat(first.recording()).isTrue();
        assertThat(first.jvmOptions()).singleElement().asString().startsWith("-XX:ArchiveClassesAtExit=");

        Files.writeString(recordingOf(first), "archive bytes"); // what the JVM writes at exit
        first.finish(true);

        ClassDataArchive second = ClassDataArchive.forHome(home);
        assertThat(second.recording()).isFalse();
        String option = second.jvmOptions().get(0);
        assertThat(option).startsWith("-XX:SharedArchiveFile=");
        assertThat(Path.of(option.substring("-XX:SharedArchiveFile=".length()))).hasContent("archive bytes");
        try (var files = Files.list(cache)) {
            assertThat(files.filter(f -> f.toString().endsWith(".recording"))).isEmpty();
        }
    }

    @Test
    void shouldDropTheRecordingOfAJvmThatWasKilled() throws Exception {
        Path home = Files.createDirectories(cache.resolve("apicurio-registry-9.9.9"));
        ClassDataArchive cds = ClassDataArchive.forHome(home);
        Files.writeString(recordingOf(cds), "half an archive");
        cds.finish(false);

        assertThat(recordingOf(cds)).doesNotExist();
        assertThat(ClassDataArchive.forHome(home).recording()).isTrue();
    }
}
