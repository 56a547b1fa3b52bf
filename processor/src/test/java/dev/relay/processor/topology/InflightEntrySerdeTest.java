package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class InflightEntrySerdeTest {

    @Test
    void shouldRoundTripRetryStateRestartsAndJob() {
        var serde = new InflightEntrySerde();
        var entry = new InflightEntry(
                TopologyHarness.job("j-1", "alpha/m1", "beta/m2"), 2, 1_234_567L, List.of("a1", "key with ünïcode"), 3);

        InflightEntry back = serde.deserialize("changelog", serde.serialize("changelog", entry));

        assertThat(back).isEqualTo(entry);
        assertThat(back.attemptNumber()).isEqualTo(6);
        assertThat(serde.deserialize("changelog", null)).isNull();
    }

    @Test
    void shouldReadAVersionOneEntryWithNoRestarts() throws IOException {
        var job = TopologyHarness.job("j-2", "alpha/m1");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        out.writeInt(1);
        out.writeLong(42L);
        out.writeInt(1);
        out.writeUTF("a1");
        out.flush();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new SpecificDatumWriter<>(dev.relay.schemas.Job.class).write(job, encoder);
        encoder.flush();

        InflightEntry back = new InflightEntrySerde().deserialize("changelog", bytes.toByteArray());

        assertThat(back).isEqualTo(new InflightEntry(job, 1, 42L, List.of("a1"), 0));
        assertThat(back.attemptNumber()).isEqualTo(2);
    }
}
