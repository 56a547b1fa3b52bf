package dev.relay.processor.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The policy packages decide and inject; they never touch Kafka (the topology does). A plain source scan stands in for
 * an import-control tool the build does not have.
 */
class PolicyPackagesTest {

    @ParameterizedTest
    @ValueSource(strings = {"attempt", "routing", "fault"})
    void shouldNotImportKafka(String pkg) throws IOException {
        Path dir = Path.of("src/main/java/dev/relay/processor", pkg);
        assertThat(dir).isDirectory();
        try (Stream<Path> files = Files.walk(dir)) {
            List<String> offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> read(p).contains("import org.apache.kafka"))
                    .map(Path::toString).toList();
            assertThat(offenders).isEmpty();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
