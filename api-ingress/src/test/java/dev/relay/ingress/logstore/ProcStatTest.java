package dev.relay.ingress.logstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Parsing a Linux {@code stat} line (proc(5)), whose name field may hold spaces and parentheses. */
class ProcStatTest {

    /** A real line (a Java thread's) with its name replaced; fields 14, 15 and 19 set apart from their neighbours. */
    private static final String LINE = "48213 (a) b (c) d) S 48100 48100 301 34817 48100 1077936192 5731 0 2 0 "
            + "417 93 0 0 39 19 27 0 6612345 4512473088 30051 18446744073709551615 1 1 0 0 0 0 4 0 16796879 0 0 0 "
            + "-1 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    @Test
    void shouldReadTheFieldsAfterTheLastParenthesisWhenTheNameHoldsSpacesAndParentheses() {
        ProcStat stat = ProcStat.parse(LINE);

        assertThat(stat).isEqualTo(new ProcStat(48213, "a) b (c) d", 417, 93, 19));
        assertThat(stat.cpuTicks()).isEqualTo(510);
    }

    @Test
    void shouldReadANameThatIsOnlyAParenthesis() {
        assertThat(ProcStat.parse(LINE.replace("(a) b (c) d)", "())")).comm()).isEqualTo(")");
    }

    @Test
    void shouldRefuseTextThatIsNotAStatLine() {
        assertThatThrownBy(() -> ProcStat.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse("48213 (java) S 1 2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a /proc stat line");
    }

    @Test
    void shouldReadTheCallingThreadsOwnFileInOneRead() throws Exception {
        Path self = Path.of("/proc/thread-self/stat");
        assumeTrue(Files.isReadable(self), "needs Linux's /proc/thread-self");
        String before = Thread.currentThread().getName();
        Thread.currentThread().setName("stat (test) x");
        try {
            ProcStat stat = ProcStat.read(self);
            assertThat(stat.comm()).isEqualTo("stat (test) x");
            assertThat(stat.id()).isPositive();
            assertThat(stat.nice()).isBetween(-20, 19);
            assertThat(stat.cpuTicks()).isNotNegative();
        } finally {
            Thread.currentThread().setName(before);
        }
    }
}
