package dev.relay.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dynamic CDS archive (class data sharing) for the registry's JVM. The first registry on a machine records the
 * classes it loads ({@code -XX:ArchiveClassesAtExit}) into a private file that is renamed into place after the
 * process has exited; later registries map it ({@code -XX:SharedArchiveFile}) and start about twice as fast on this
 * kind of machine (interleaved runs: 8-16 s instead of 17-32 s on 2 busy cores). An archive made by another JDK, or
 * for another distribution path, is ignored by the JVM (it starts without it), so it is keyed by both. Turn it off
 * with {@code -Drelay.registry.cds=false}.
 */
final class ClassDataArchive {

    static final String ENABLED_PROPERTY = "relay.registry.cds";
    private static final Logger LOG = LoggerFactory.getLogger(ClassDataArchive.class);

    private final Path archive;
    private final Path recording;

    private ClassDataArchive(Path archive, Path recording) {
        this.archive = archive;
        this.recording = recording;
    }

    /** The archive for this JDK and distribution home; null when turned off. */
    static ClassDataArchive forHome(Path home) {
        if ("false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY, "true"))) {
            return null;
        }
        String key = Runtime.version().toString().replaceAll("[^A-Za-z0-9.]", "_") + "-"
                + UUID.nameUUIDFromBytes(home.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8))
                        .toString()
                        .substring(0, 8);
        Path archive = home.toAbsolutePath().resolveSibling(home.getFileName() + "-" + key + ".jsa");
        Path recording = Files.exists(archive)
                ? null
                : archive.resolveSibling(archive.getFileName() + "." + UUID.randomUUID() + ".recording");
        return new ClassDataArchive(archive, recording);
    }

    /** The JVM options: map the archive, or record one when there is none yet. */
    List<String> jvmOptions() {
        return recording == null
                ? List.of("-XX:SharedArchiveFile=" + archive)
                : List.of("-XX:ArchiveClassesAtExit=" + recording);
    }

    /** Whether this run writes the archive at exit (stopping then takes a few seconds longer). */
    boolean recording() {
        return recording != null;
    }

    /** After the registry process has exited: put a complete recording in place, drop an incomplete one. */
    void finish(boolean exitedNormally) {
        if (recording == null || !Files.exists(recording)) {
            return;
        }
        try {
            if (exitedNormally && Files.size(recording) > 0 && !Files.exists(archive)) {
                Files.move(recording, archive, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("Recorded a class data archive for the registry: {}", archive);
            } else {
                Files.deleteIfExists(recording);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(recording); // another JVM put its archive in place first
            } catch (IOException ignored) {
                // a stray recording file is harmless
            }
        }
    }
}
