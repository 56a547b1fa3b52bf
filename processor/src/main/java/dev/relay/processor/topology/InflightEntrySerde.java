package dev.relay.processor.topology;

import dev.relay.schemas.Job;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The in-flight store's value format: a version byte, the retry and restart state, then the job as plain Avro binary. The store
 * (and its changelog) is private to the processor, so it needs no registry; the version byte leaves room to change
 * the layout, and a processor upgrade restores old entries with the schema of the same release.
 */
final class InflightEntrySerde implements Serde<InflightEntry>, Serializer<InflightEntry>, Deserializer<InflightEntry> {

    /** Version 2 adds the restart count after the excluded keys; version 1 entries read with none. */
    private static final byte VERSION = 2;

    private static final byte VERSION_1 = 1;
    private final SpecificDatumWriter<Job> writer = new SpecificDatumWriter<>(Job.class);
    private final SpecificDatumReader<Job> reader = new SpecificDatumReader<>(Job.class);

    @Override
    public byte[] serialize(String topic, InflightEntry entry) {
        if (entry == null) {
            return null;
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeInt(entry.attemptsOnTarget());
            out.writeLong(entry.notBefore());
            out.writeInt(entry.excludedKeys().size());
            for (String k : entry.excludedKeys()) {
                out.writeUTF(k);
            }
            out.writeInt(entry.restarts());
            out.flush();
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            synchronized (writer) {
                writer.write(entry.job(), encoder);
            }
            encoder.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InflightEntry deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
            byte version = in.readByte();
            if (version != VERSION && version != VERSION_1) {
                throw new IllegalStateException("unknown in-flight entry version " + version);
            }
            int attempts = in.readInt();
            long notBefore = in.readLong();
            int n = in.readInt();
            List<String> excluded = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                excluded.add(in.readUTF());
            }
            int restarts = version == VERSION_1 ? 0 : in.readInt();
            int offset = data.length - in.available();
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, offset, data.length - offset, null);
            Job job;
            synchronized (reader) {
                job = reader.read(null, decoder);
            }
            return new InflightEntry(job, attempts, notBefore, excluded, restarts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}

    @Override
    public Serializer<InflightEntry> serializer() {
        return this;
    }

    @Override
    public Deserializer<InflightEntry> deserializer() {
        return this;
    }
}
