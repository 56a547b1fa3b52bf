package dev.relay.schemas.serde;

import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.StreamChunk;

/** The value serdes of Relay's records, sharing one registry client. Keys are job ids as plain strings. */
public record RelaySerdes(
        SchemaRegistryClient registry,
        AvroSerde<Job> job,
        AvroSerde<AttemptRecord> attempt,
        AvroSerde<JobResult> result,
        AvroSerde<FailedJob> failed,
        AvroSerde<StreamChunk> chunk) {

    public static RelaySerdes create(SchemaRegistryClient registry) {
        return new RelaySerdes(
                registry,
                AvroSerde.forValue(Job.class, registry),
                AvroSerde.forValue(AttemptRecord.class, registry),
                AvroSerde.forValue(JobResult.class, registry),
                AvroSerde.forValue(FailedJob.class, registry),
                AvroSerde.forValue(StreamChunk.class, registry));
    }
}
