package dev.relay.testkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.Job;
import dev.relay.schemas.serde.AvroSerde;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.RelayStackExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Confluent-wire-format serde against the real Apicurio Registry. */
@Tag("integration")
class AvroSerdeIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private final SchemaRegistryClient registry = SchemaRegistryClient.create(STACK.registryUrl());
    private final RelaySerdes serdes = RelaySerdes.create(registry);
    /** A reader with empty caches: every writer schema is fetched from the registry by id. */
    private final RelaySerdes freshReader = RelaySerdes.create(SchemaRegistryClient.create(STACK.registryUrl()));

    private static String topic() {
        return "t" + UUID.randomUUID().toString().substring(0, 8) + ".jobs";
    }

    @Test
    void shouldRoundTripEveryRecord() {
        String id = "job-" + UUID.randomUUID();
        assertRoundTrip(serdes.job(), freshReader.job(), SampleRecords.job(id));
        assertRoundTrip(serdes.attempt(), freshReader.attempt(), SampleRecords.attempt(id));
        assertRoundTrip(serdes.result(), freshReader.result(), SampleRecords.result(id));
        assertRoundTrip(serdes.failed(), freshReader.failed(), SampleRecords.failed(id));
    }

    private static <T extends SpecificRecord> void assertRoundTrip(AvroSerde<T> writer, AvroSerde<T> reader, T record) {
        String topic = topic();
        byte[] bytes = writer.serialize(topic, record);
        T back = reader.deserialize(topic, bytes);
        assertThat(back).isEqualTo(record);
        assertThat(back.getClass()).isEqualTo(record.getClass());
    }

    @Test
    void shouldWriteMagicByteZeroThenTheBigEndianRegistryId() {
        String topic = topic();
        byte[] bytes = serdes.job().serialize(topic, SampleRecords.job("job-1"));

        int registered = SchemaRegistryClient.create(STACK.registryUrl())
                .getLatest(topic + "-value")
                .id();
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registered);
        assertThat(new byte[] {bytes[1], bytes[2], bytes[3], bytes[4]})
                .containsExactly(
                        (byte) (registered >>> 24), (byte) (registered >>> 16), (byte) (registered >>> 8), (byte)
                                registered);
        assertThat(bytes.length).isGreaterThan(AvroSerde.HEADER_SIZE);
    }

    @Test
    void shouldReadAnOldWriterWithTheCurrentClassAndFillInDefaults() throws IOException {
        String topic = topic();
        Schema old = oldJobSchema();
        Job current = SampleRecords.job("job-old-1");
        GenericRecord oldRecord = project(current, old);

        // the registry accepts the current Job after the old one: the evolution is BACKWARD compatible
        int oldId = registry.register(topic + "-value", old);
        int newId = serdes.job().register(topic);
        assertThat(newId).isNotEqualTo(oldId);

        Job read = freshReader.job().deserialize(topic, frame(oldId, old, oldRecord));

        assertThat(read.getJobId()).isEqualTo("job-old-1");
        assertThat(read.getRequest()).isEqualTo(current.getRequest());
        assertThat(read.getChain()).isEqualTo(current.getChain());
        assertThat(read.getAttempts()).isEqualTo(current.getAttempts());
        assertThat(read.getDeadline()).isNull();
        assertThat(read.getReplayGeneration()).isZero();
        assertThat(read.getOrigin()).isNull();
        assertThat(read.getMetadata()).isEqualTo(Map.of());
    }

    static Schema oldJobSchema() throws IOException {
        try (InputStream in = AvroSerdeIT.class.getResourceAsStream("/evolution/Job-before-replay.avsc")) {
            return new Schema.Parser().parse(in);
        }
    }

    /** The current record as the old writer would have had it: the fields the old schema lacks are dropped. */
    static GenericRecord project(Job job, Schema old) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new org.apache.avro.specific.SpecificDatumWriter<Job>(Job.getClassSchema()).write(job, enc);
        enc.flush();
        return new GenericDatumReader<GenericRecord>(Job.getClassSchema(), old, GenericData.get())
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }

    /** Confluent framing written by hand (not by our serde): magic 0, 4-byte id, Avro binary. */
    static byte[] frame(int id, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, enc);
        enc.flush();
        return out.toByteArray();
    }

    @Test
    void shouldNotRegisterWhenAutoRegisterIsOffAndUseTheIdOfItsOwnSchema() {
        String topic = topic();
        int id = serdes.job().register(topic);
        // a newer, compatible schema becomes the latest: a non-registering writer must still stamp its own id
        Schema newer = SchemaBuilderHelper.withExtraOptionalField(Job.getClassSchema(), "futureField");
        registry.register(topic + "-value", newer);

        AvroSerde<Job> noAutoRegister =
                new AvroSerde<>(Job.class, SchemaRegistryClient.create(STACK.registryUrl()), false, false);
        byte[] bytes = noAutoRegister.serialize(topic, SampleRecords.job("job-2"));
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        assertThat(freshReader.job().deserialize(topic, bytes)).isEqualTo(SampleRecords.job("job-2"));
    }

    @Test
    void shouldReadJobsAsGenericRecordsWithTheRegistrySchema() throws IOException {
        // what a non-Java consumer does: fetch the writer schema by id, decode without generated classes
        String topic = topic();
        byte[] bytes = serdes.job().serialize(topic, SampleRecords.job("job-3"));
        Schema writer = SchemaRegistryClient.create(STACK.registryUrl())
                .getById(ByteBuffer.wrap(bytes, 1, 4).getInt());
        GenericRecord generic = new GenericDatumReader<GenericRecord>(writer)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertThat(generic.get("jobId").toString()).isEqualTo("job-3");
        assertThat(((GenericRecord) generic.get("request")).getSchema().getName())
                .isEqualTo("ChatRequest");
    }
}
