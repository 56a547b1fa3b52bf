package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The provider adapters know HTTP and JSON only: no Kafka, no topology (STYLE.md, habit 10). */
class ProviderPackageImportsTest {

    @Test
    void shouldNotImportKafkaOrTopologyFromProviderPackages() throws IOException {
        Path root = Path.of("src/main/java/dev/relay/processor/provider");
        assertThat(root).isDirectory();
        List<String> offenders;
        try (Stream<Path> files = Files.walk(root)) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).flatMap(p -> {
                try {
                    return Files.readAllLines(p).stream()
                            .filter(l -> l.startsWith("import org.apache.kafka") || l.startsWith("import kafka.")
                                    || l.startsWith("import dev.relay.processor.topology"))
                            .map(l -> p + ": " + l);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertThat(offenders).isEmpty();
    }
}
