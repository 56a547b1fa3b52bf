package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A role started with a config it cannot read exits 2 with one line on stderr, before it starts anything. */
class RoleRunnerTest {

    @TempDir
    Path dir;

    @Test
    void shouldExitWithTwoWhenTheConfigCannotBeRead() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            String missing = dir.resolve("missing.json").toString();
            assertThat(new CommandLine(new RelayMain()).execute("processor", "--config", missing))
                    .isEqualTo(2);
            assertThat(new CommandLine(new RelayMain()).execute("ingress", "--config", missing))
                    .isEqualTo(2);
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("relay processor: ")
                .contains("relay ingress: ")
                .contains("no such file");
    }
}
