package dev.relay.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApicurioDistributionTest {

    @TempDir
    Path tmp;

    private static ApicurioDistribution with(Map<String, String> props, Map<String, String> env) {
        return new ApicurioDistribution(n -> Optional.ofNullable(props.get(n)), n -> Optional.ofNullable(env.get(n)));
    }

    @Test
    void shouldKnowTheVersionFromTheFilteredResource() {
        assertThat(ApicurioDistribution.version()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void shouldFindTheTarballInTheLocalRepositoryNamedByMavenRepoLocal() throws IOException {
        String v = ApicurioDistribution.version();
        Path tarball = tmp.resolve(
                "repo/io/apicurio/apicurio-registry-app/" + v + "/apicurio-registry-app-" + v + "-all.tar.gz");
        Files.createDirectories(tarball.getParent());
        Files.writeString(tarball, "x");
        assertThat(with(Map.of("maven.repo.local", tmp.resolve("repo").toString()), Map.of())
                        .locate())
                .isEqualTo(tarball);
    }

    @Test
    void shouldReadTheLocalRepositoryFromSettingsXml() throws IOException {
        Files.createDirectories(tmp.resolve(".m2"));
        Files.writeString(tmp.resolve(".m2/settings.xml"), """
                <settings><!-- <localRepository>/wrong</localRepository> -->
                  <localRepository>/opt/m2repo</localRepository></settings>""");
        assertThat(with(Map.of("user.home", tmp.toString()), Map.of()).localRepository())
                .isEqualTo(Path.of("/opt/m2repo"));
        assertThat(with(Map.of("user.home", tmp.resolve("none").toString()), Map.of())
                        .localRepository())
                .isEqualTo(tmp.resolve("none/.m2/repository"));
    }

    @Test
    void shouldPreferAnExplicitDistributionAndExplainAMissingOne() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(home.resolve("quarkus-run.jar"), "jar");
        assertThat(with(Map.of(), Map.of(ApicurioDistribution.DIST_ENV, home.toString()))
                        .home())
                .isEqualTo(home);
        assertThatThrownBy(() -> with(
                                Map.of(
                                        ApicurioDistribution.DIST_PROPERTY,
                                        tmp.resolve("nope").toString()),
                                Map.of())
                        .home())
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> with(
                                Map.of("maven.repo.local", tmp.resolve("empty").toString()), Map.of())
                        .home())
                .hasMessageContaining("not in the local Maven repository")
                .hasMessageContaining("local-stack");
    }

    @Test
    void shouldUnpackOnceAndReuseTheHome() throws IOException {
        Path tarball = tarball(tmp.resolve("dist.tar.gz"), "quarkus-run.jar", "lib/main/a.jar");
        Path target = tmp.resolve("cache/apicurio");
        assertThat(ApicurioDistribution.unpackOnce(tarball, target)).isEqualTo(target);
        assertThat(target.resolve("lib/main/a.jar")).hasContent("lib/main/a.jar");
        Files.delete(tarball); // a second call must not need the tarball again
        assertThat(ApicurioDistribution.unpackOnce(tarball, target).resolve("quarkus-run.jar"))
                .exists();
        try (var siblings = Files.list(target.getParent())) {
            assertThat(siblings).containsExactly(target); // no half-unpacked leftovers
        }
    }

    @Test
    void shouldRefuseEntriesThatEscapeTheTargetDirectory() throws IOException {
        Path tarball = tarball(tmp.resolve("evil.tar.gz"), "../escaped.txt");
        assertThatThrownBy(() -> ApicurioDistribution.unpackOnce(tarball, tmp.resolve("cache/x")))
                .hasMessageContaining("cannot unpack");
        assertThat(tmp.resolve("cache/escaped.txt")).doesNotExist();
    }

    private static Path tarball(Path file, String... entries) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            for (String name : entries) {
                byte[] body = name.getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(name, true);
                e.setSize(body.length);
                tar.putArchiveEntry(e);
                tar.write(body);
                tar.closeArchiveEntry();
            }
        }
        return file;
    }
}
