package dev.relay.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void shouldPrintPlainLinesAtEveryTenthWithRateAndEta() {
        StringWriter out = new StringWriter();
        try (Progress p = Progress.create("replay", 20, false, new PrintWriter(out))) {
            for (int i = 0; i < 20; i++) {
                p.step();
            }
        }
        String[] lines = out.toString().split("\\R");
        assertThat(lines).hasSize(10);
        assertThat(lines[0]).startsWith("replay: 2/20 (10%), ").contains("/s, ETA ");
        assertThat(lines[9]).startsWith("replay: 20/20 (100%), ");
    }

    @Test
    void shouldDrawTheLibraryBarWithoutFailingWhenNoRealTerminalIsThere() {
        // the bar goes to stderr through jline, which falls back to a dumb terminal here
        assertThatCode(() -> {
                    try (Progress p = Progress.create("replay", 3, true, new PrintWriter(new StringWriter()))) {
                        p.step();
                        p.step();
                        p.step();
                    }
                })
                .doesNotThrowAnyException();
    }
}
