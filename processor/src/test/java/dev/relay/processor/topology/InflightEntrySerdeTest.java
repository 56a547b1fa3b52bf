package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class InflightEntrySerdeTest {

    @Test
    void shouldRoundTripRetryStateAndJob() {
        var serde = new InflightEntrySerde();
        var entry = new InflightEntry(
                TopologyHarness.job("j-1", "alpha/m1", "beta/m2"), 2, 1_234_567L, List.of("a1", "key with ünïcode"));

        InflightEntry back = serde.deserialize("changelog", serde.serialize("changelog", entry));

        assertThat(back).isEqualTo(entry);
        assertThat(serde.deserialize("changelog", null)).isNull();
    }
}
