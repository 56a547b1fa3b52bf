package dev.relay.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TimeSpecTest {

    private static final Instant NOW = Instant.parse("2026-11-24T20:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void shouldReadRelativeTimesBackFromNow() {
        assertThat(TimeSpec.parse("--since", "2h", CLOCK)).isEqualTo(NOW.minus(Duration.ofHours(2)));
        assertThat(TimeSpec.parse("--since", "30m", CLOCK)).isEqualTo(NOW.minus(Duration.ofMinutes(30)));
        assertThat(TimeSpec.parse("--since", "7d", CLOCK)).isEqualTo(NOW.minus(Duration.ofDays(7)));
        assertThat(TimeSpec.parse("--since", "1h30m", CLOCK)).isEqualTo(NOW.minus(Duration.ofMinutes(90)));
        assertThat(TimeSpec.parse("--since", "90s", CLOCK)).isEqualTo(NOW.minusSeconds(90));
        assertThat(TimeSpec.parse("--since", "1w", CLOCK)).isEqualTo(NOW.minus(Duration.ofDays(7)));
        assertThat(TimeSpec.parse("--until", "now", CLOCK)).isEqualTo(NOW);
    }

    @Test
    void shouldReadIsoForms() {
        assertThat(TimeSpec.parse("--since", "2026-11-24T18:00:00Z", CLOCK))
                .isEqualTo(Instant.parse("2026-11-24T18:00:00Z"));
        assertThat(TimeSpec.parse("--since", "2026-11-24T19:00:00+01:00", CLOCK))
                .isEqualTo(Instant.parse("2026-11-24T18:00:00Z"));
        assertThat(TimeSpec.parse("--since", "2026-11-24T18:00", CLOCK))
                .isEqualTo(Instant.parse("2026-11-24T18:00:00Z"));
        assertThat(TimeSpec.parse("--since", "2026-11-24", CLOCK)).isEqualTo(Instant.parse("2026-11-24T00:00:00Z"));
        assertThat(TimeSpec.parse("--since", "2026-11-24 18:30", CLOCK))
                .isEqualTo(Instant.parse("2026-11-24T18:30:00Z"));
        assertThat(TimeSpec.parse("--since", " 2026-11-24T18:00:00.250Z ", CLOCK))
                .isEqualTo(Instant.parse("2026-11-24T18:00:00.250Z"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"", "yesterday", "2h ago", "-2h", "2026-13-01", "2026-11-24T25:00", "5x", "h2", "2026/11/24"})
    void shouldRejectWhatItCannotReadWithTheOptionNameAndTheFormsItReads(String text) {
        assertThatThrownBy(() -> TimeSpec.parse("--since", text, CLOCK))
                .isInstanceOf(ReplayException.class)
                .hasMessageContaining("--since")
                .hasMessageContaining("2026-11-24T20:00:00Z")
                .satisfies(e -> assertThat(((ReplayException) e).exitCode()).isEqualTo(ReplayMain.EXIT_USAGE));
    }
}
