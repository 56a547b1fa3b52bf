package dev.relay.stack;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the Apicurio Registry distribution ({@code io.apicurio:apicurio-registry-app:<version>:tar.gz:all}) and
 * unpacks it once into a cache directory. The build of {@code local-stack} downloads the tarball into the local Maven
 * repository; nothing here downloads anything.
 *
 * <p>Lookup order: system property {@value #DIST_PROPERTY} or env {@value #DIST_ENV} (a tarball or an unpacked home
 * that holds {@code quarkus-run.jar}); then the local Maven repository ({@code -Dmaven.repo.local}, the
 * {@code localRepository} of {@code ~/.m2/settings.xml}, or {@code ~/.m2/repository}). The unpacked copy goes under
 * {@value #CACHE_PROPERTY} / {@value #CACHE_ENV}, default {@code ~/.cache/relay}.
 */
public final class ApicurioDistribution {

    public static final String DIST_PROPERTY = "relay.apicurio.distribution";
    public static final String DIST_ENV = "RELAY_APICURIO_DISTRIBUTION";
    public static final String CACHE_PROPERTY = "relay.cache.dir";
    public static final String CACHE_ENV = "RELAY_CACHE_DIR";
    static final String RUN_JAR = "quarkus-run.jar";
    private static final String COMPLETE_MARKER = ".relay-unpacked";
    private static final Logger LOG = LoggerFactory.getLogger(ApicurioDistribution.class);

    private final Function<String, Optional<String>> systemProperty;
    private final Function<String, Optional<String>> env;

    ApicurioDistribution(Function<String, Optional<String>> systemProperty, Function<String, Optional<String>> env) {
        this.systemProperty = systemProperty;
        this.env = env;
    }

    public static ApicurioDistribution fromEnvironment() {
        return new ApicurioDistribution(
                n -> Optional.ofNullable(System.getProperty(n)), n -> Optional.ofNullable(System.getenv(n)));
    }

    /** The registry version this build was made with (from the filtered {@code local-stack.properties}). */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = ApicurioDistribution.class.getResourceAsStream("local-stack.properties")) {
            if (in == null) {
                throw new IllegalStateException("local-stack.properties is missing from the classpath");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String v = p.getProperty("apicurio.version", "");
        if (v.isBlank() || v.startsWith("${")) {
            throw new IllegalStateException("local-stack.properties was not filtered by Maven: apicurio.version=" + v);
        }
        return v;
    }

    /** The unpacked distribution's home (the directory holding {@code quarkus-run.jar}), unpacking it if needed. */
    public Path home() {
        Path source = locate();
        if (Files.isDirectory(source)) {
            if (!Files.isRegularFile(source.resolve(RUN_JAR))) {
                throw new IllegalStateException(source + " is not an Apicurio Registry home: no " + RUN_JAR);
            }
            return source;
        }
        return unpackOnce(source, cacheDir().resolve("apicurio-registry-" + version()));
    }

    /** The configured tarball or home, or the tarball in the local Maven repository. */
    Path locate() {
        Optional<String> configured = systemProperty
                .apply(DIST_PROPERTY)
                .or(() -> env.apply(DIST_ENV))
                .filter(s -> !s.isBlank());
        if (configured.isPresent()) {
            Path p = Path.of(configured.get());
            if (!Files.exists(p)) {
                throw new IllegalStateException(
                        DIST_PROPERTY + " / " + DIST_ENV + " points at " + p + ", which does not exist");
            }
            return p;
        }
        String v = version();
        Path tarball = localRepository()
                .resolve("io/apicurio/apicurio-registry-app/" + v + "/apicurio-registry-app-" + v + "-all.tar.gz");
        if (!Files.isRegularFile(tarball)) {
            throw new IllegalStateException("the Apicurio Registry distribution is not in the local Maven repository: "
                    + tarball + ". Build the local-stack module first (./mvnw -pl local-stack -am verify downloads "
                    + "it), or set " + DIST_PROPERTY + " to a tarball or an unpacked home.");
        }
        return tarball;
    }

    Path localRepository() {
        Optional<String> explicit = systemProperty.apply("maven.repo.local").filter(s -> !s.isBlank());
        if (explicit.isPresent()) {
            return Path.of(explicit.get());
        }
        Path m2 = Path.of(systemProperty.apply("user.home").orElse("."), ".m2");
        return fromSettings(m2.resolve("settings.xml")).orElse(m2.resolve("repository"));
    }

    private static Optional<Path> fromSettings(Path settings) {
        if (!Files.isRegularFile(settings)) {
            return Optional.empty();
        }
        try {
            String xml = Files.readString(settings).replaceAll("(?s)<!--.*?-->", "");
            Matcher m = Pattern.compile("<localRepository>\\s*([^<]+?)\\s*</localRepository>")
                    .matcher(xml);
            return m.find() && !m.group(1).contains("${") ? Optional.of(Path.of(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    Path cacheDir() {
        return systemProperty
                .apply(CACHE_PROPERTY)
                .or(() -> env.apply(CACHE_ENV))
                .filter(s -> !s.isBlank())
                .map(Path::of)
                .orElseGet(() -> Path.of(systemProperty.apply("user.home").orElse("."), ".cache", "relay"));
    }

    /**
     * Unpacks into a private temporary sibling, then renames it into place, so concurrent test JVMs (and a crash
     * half-way) never see a partial home.
     */
    static Path unpackOnce(Path tarball, Path target) {
        if (Files.exists(target.resolve(COMPLETE_MARKER))) {
            return target;
        }
        long t0 = System.nanoTime();
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempDirectory(target.getParent(), target.getFileName() + ".unpacking-");
            untar(tarball, tmp);
            Files.createFile(tmp.resolve(COMPLETE_MARKER));
            if (Files.exists(target) && !Files.exists(target.resolve(COMPLETE_MARKER))) {
                Dirs.deleteQuietly(target); // a leftover from an older layout; never a complete home
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                if (!Files.exists(target.resolve(COMPLETE_MARKER))) {
                    throw e;
                }
                // another JVM won the race; its copy is as good as ours
            } catch (IOException e) {
                if (!Files.exists(target.resolve(COMPLETE_MARKER))) { // "directory not empty" on Linux
                    throw e;
                }
            }
            LOG.info(
                    "Unpacked {} into {} in {} ms",
                    tarball.getFileName(),
                    target,
                    (System.nanoTime() - t0) / 1_000_000);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + tarball + " into " + target, e);
        } finally {
            if (tmp != null && Files.exists(tmp)) {
                Dirs.deleteQuietly(tmp);
            }
        }
    }

    private static void untar(Path tarball, Path into) throws IOException {
        Path root = into.toAbsolutePath().normalize();
        try (InputStream file = new BufferedInputStream(Files.newInputStream(tarball), 1 << 16);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = root.resolve(entry.getName()).normalize();
                if (!out.startsWith(root)) {
                    throw new IOException("tar entry outside the target directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                }
                // links and devices: the distribution has none, and following them is not safe
            }
        }
    }
}
