package dev.relay.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record's value could not be read as Confluent-wire-format Avro. Kafka consumers wrap this in a
 * {@code RecordDeserializationException} that adds partition and offset; Kafka Streams hands it, with topic, partition
 * and offset, to the deserialization exception handler, which routes the bytes to the dead-letter topic.
 */
public final class RecordDecodingException extends SerializationException {

    /** Why the bytes could not be read. */
    public enum Reason {
        /** Shorter than the 5-byte header. */
        TOO_SHORT,
        /** The first byte is not 0. */
        BAD_MAGIC_BYTE,
        /** The registry does not know the 4-byte schema id. */
        UNKNOWN_SCHEMA_ID,
        /** The registry could not be reached to resolve the schema id. */
        REGISTRY_UNAVAILABLE,
        /** The Avro body does not match the writer schema, or cannot be resolved to the reader schema. */
        BAD_AVRO
    }

    private final Reason reason;
    private final String topic;
    private final int schemaId;

    public RecordDecodingException(Reason reason, String topic, int schemaId, String message, Throwable cause) {
        super("cannot read record from topic " + topic + ": " + reason + ": " + message, cause);
        this.reason = reason;
        this.topic = topic;
        this.schemaId = schemaId;
    }

    public Reason reason() {
        return reason;
    }

    public String topic() {
        return topic;
    }

    /** The schema id from the header, or -1 when the header could not be read. */
    public int schemaId() {
        return schemaId;
    }
}
