package dev.relay.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for one generated Avro class on the Confluent wire format: magic byte 0, the 4-byte
 * big-endian schema id, then Avro binary. Subjects follow TopicNameStrategy ({@code <topic>-value} or
 * {@code <topic>-key}). Readers resolve the writer schema (by id, from the registry) to the generated class's schema,
 * so old writers and new readers work together.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private final Class<T> type;
    private final Schema readerSchema;
    private final SchemaRegistryClient registry;
    private final boolean isKey;
    private final boolean autoRegister;
    private final SpecificData data;
    private final SpecificDatumWriter<T> writer;
    private final Map<String, Integer> idByTopic = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

    public AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
        this.type = type;
        this.data = SpecificData.getForClass(type);
        this.readerSchema = data.getSchema(type);
        this.registry = registry;
        this.isKey = isKey;
        this.autoRegister = autoRegister;
        this.writer = new SpecificDatumWriter<>(readerSchema, data);
    }

    /** A value serde that registers the class's schema on first write. */
    public static <T extends SpecificRecord> AvroSerde<T> forValue(Class<T> type, SchemaRegistryClient registry) {
        return new AvroSerde<>(type, registry, false, true);
    }

    public Schema schema() {
        return readerSchema;
    }

    public String subject(String topic) {
        return topic + (isKey ? "-key" : "-value");
    }

    /** Registers this class's schema for the topic (what the first write would do) and returns its id. */
    public int register(String topic) {
        return idByTopic.computeIfAbsent(topic, t -> registry.register(subject(t), readerSchema));
    }

    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        // without auto-registration, use the id of this class's own schema (it must be registered already): the
        // subject's latest version may be another schema, and stamping its id on bytes written with ours would
        // make readers decode them with the wrong writer schema
        int id = autoRegister
                ? register(topic)
                : idByTopic.computeIfAbsent(topic, t -> registry.lookup(subject(t), readerSchema));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + type.getSimpleName() + " to " + topic + ": " + e, e);
        }
        return out.toByteArray();
    }

    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length < HEADER_SIZE) {
            throw new RecordDecodingException(
                    RecordDecodingException.Reason.TOO_SHORT,
                    topic,
                    -1,
                    bytes.length + " bytes, the Confluent wire format needs at least " + HEADER_SIZE,
                    null);
        }
        if (bytes[0] != MAGIC_BYTE) {
            throw new RecordDecodingException(
                    RecordDecodingException.Reason.BAD_MAGIC_BYTE,
                    topic,
                    -1,
                    String.format("magic byte 0x%02x, expected 0x00", bytes[0]),
                    null);
        }
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        SpecificDatumReader<T> reader = readers.computeIfAbsent(id, i -> readerFor(topic, i));
        BinaryDecoder decoder =
                DecoderFactory.get().binaryDecoder(bytes, HEADER_SIZE, bytes.length - HEADER_SIZE, null);
        try {
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new RecordDecodingException(
                    RecordDecodingException.Reason.BAD_AVRO,
                    topic,
                    id,
                    "cannot decode as " + type.getSimpleName() + " with writer schema " + id + ": " + e,
                    e);
        }
    }

    private SpecificDatumReader<T> readerFor(String topic, int id) {
        Schema writerSchema;
        try {
            writerSchema = registry.getById(id);
        } catch (SchemaRegistryException.NotFound e) {
            throw new RecordDecodingException(
                    RecordDecodingException.Reason.UNKNOWN_SCHEMA_ID,
                    topic,
                    id,
                    "schema id " + id + " is not in the registry",
                    e);
        } catch (SchemaRegistryException e) {
            throw new RecordDecodingException(
                    RecordDecodingException.Reason.REGISTRY_UNAVAILABLE,
                    topic,
                    id,
                    "cannot fetch schema id " + id + ": " + e.getMessage(),
                    e);
        }
        return new SpecificDatumReader<>(writerSchema, readerSchema, data);
    }

    @Override
    public Serializer<T> serializer() {
        return this::serialize;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this::deserialize;
    }
}
