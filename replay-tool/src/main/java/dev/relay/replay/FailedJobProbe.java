package dev.relay.replay;

import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import dev.relay.schemas.serde.AvroSerde;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Reads only what the filters need from a FailedJob (ids, tenant, batch, chain, generation, outcome), skipping the
 * request and the attempts, through an Avro projection of the FailedJob schema. The scan decodes every record in the
 * window this way and decodes the whole record only for those that match: most of a FailedJob is the prompt.
 */
final class FailedJobProbe {

    static final Schema PROJECTION = projection();

    private final SchemaRegistryClient registry;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private BinaryDecoder decoder;
    private GenericRecord reuse;

    FailedJobProbe(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    /** A candidate without its job (enough to filter), or an exception if the bytes are not a FailedJob. */
    Candidate probe(String topic, int partition, long offset, long timestamp, byte[] bytes) {
        if (bytes.length < AvroSerde.HEADER_SIZE || bytes[0] != AvroSerde.MAGIC_BYTE) {
            throw new IllegalArgumentException("not in the Confluent wire format");
        }
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        GenericDatumReader<GenericRecord> reader =
                readers.computeIfAbsent(id, i -> new GenericDatumReader<>(registry.getById(i), PROJECTION));
        decoder = DecoderFactory.get()
                .binaryDecoder(bytes, AvroSerde.HEADER_SIZE, bytes.length - AvroSerde.HEADER_SIZE, decoder);
        GenericRecord f;
        try {
            f = reader.read(reuse, decoder); // every field is copied out below, so the record can be reused
            reuse = f;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot decode as FailedJob with writer schema " + id + ": " + e, e);
        }
        GenericRecord job = (GenericRecord) f.get("job");
        List<Target> chain = new ArrayList<>();
        for (Object t : (List<?>) job.get("chain")) {
            GenericRecord target = (GenericRecord) t;
            chain.add(new Target(
                    target.get("provider").toString(), target.get("model").toString()));
        }
        Target primary = chain.isEmpty() ? new Target("", "") : chain.get(0);
        GenericRecord error = (GenericRecord) f.get("error");
        return new Candidate(
                str(job.get("jobId")),
                (Integer) job.get("replayGeneration"),
                Candidate.Source.FAILED,
                topic,
                partition,
                offset,
                timestamp,
                (Long) job.get("submittedAt"),
                OutcomeClass.valueOf(f.get("finalOutcome").toString()),
                str(f.get("terminalReason")),
                error == null ? null : str(error.get("message")),
                primary.getProvider(),
                primary.getModel(),
                str(job.get("tenant")),
                str(job.get("batchId")),
                List.copyOf(chain),
                List.of(),
                null,
                null);
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    /** FailedJob with only the fields the filters read; names match, so Avro resolution skips the rest. */
    private static Schema projection() {
        Schema full = FailedJob.getClassSchema();
        Schema job = Job.getClassSchema();
        Schema jobView = Schema.createRecord(
                job.getName(),
                null,
                job.getNamespace(),
                false,
                copy(job, Set.of("jobId", "submittedAt", "tenant", "batchId", "chain", "replayGeneration")));
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : full.getFields()) {
            if (f.name().equals("job")) {
                fields.add(new Schema.Field("job", jobView, null, (Object) null));
            } else if (Set.of("terminalReason", "finalOutcome", "error").contains(f.name())) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(full.getName(), null, full.getNamespace(), false, fields);
    }

    private static List<Schema.Field> copy(Schema record, Set<String> keep) {
        return record.getFields().stream()
                .filter(f -> keep.contains(f.name()))
                .map(f -> new Schema.Field(f, f.schema()))
                .toList();
    }
}
