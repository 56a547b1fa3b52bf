package dev.relay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Holds every schema BACKWARD compatible with every released version: the current generated class (reader) must read
 * whatever the released schema (writer) wrote. Batch pipelines produce Jobs with released classes, and old records
 * stay in the log for weeks (failed jobs are replayed), so a break here breaks real data.
 */
class SchemaEvolutionTest {

    /** Every released version with a frozen copy under {@code src/test/resources/released/}. */
    static final List<String> RELEASED = List.of("0.1.0");

    @ParameterizedTest(name = "current schemas read data written with {0}")
    @FieldSource("RELEASED")
    void shouldReadEveryReleasedSchemaWithTheCurrentOne(String version) {
        Map<String, Schema> released = ReleasedSchemas.load(version);
        Map<String, Schema> current = ReleasedSchemas.current();

        assertThat(current.keySet())
                .as("types of %s that no longer exist", version)
                .containsAll(released.keySet());
        Map<String, String> problems = new LinkedHashMap<>();
        released.forEach((name, writer) -> {
            String problem = ReleasedSchemas.backwardProblem(current.get(name), writer);
            if (problem != null) {
                problems.put(name, problem);
            }
        });
        assertThat(problems)
                .as("schemas that cannot read data written by %s", version)
                .isEmpty();
    }

    @Test
    void shouldCoverTheFourTopLevelRecords() {
        assertThat(ReleasedSchemas.load("0.1.0"))
                .containsKeys(
                        "dev.relay.schemas.Job",
                        "dev.relay.schemas.AttemptRecord",
                        "dev.relay.schemas.JobResult",
                        "dev.relay.schemas.FailedJob");
    }

    @Test
    void shouldCatchANewFieldWithoutADefault() {
        Schema released = ReleasedSchemas.load("0.1.0").get("dev.relay.schemas.Job");
        Schema broken = withField(released, new Schema.Field("priority", Schema.create(Schema.Type.INT)));

        assertThat(ReleasedSchemas.backwardProblem(broken, released))
                .contains("READER_FIELD_MISSING_DEFAULT")
                .contains("priority");
    }

    @Test
    void shouldCatchAChangedFieldType() {
        Schema released = ReleasedSchemas.load("0.1.0").get("dev.relay.schemas.AttemptRecord");
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : released.getFields()) {
            fields.add(
                    f.name().equals("latencyMs")
                            ? new Schema.Field(f.name(), Schema.create(Schema.Type.STRING))
                            : new Schema.Field(f, f.schema()));
        }
        Schema broken =
                Schema.createRecord(released.getName(), released.getDoc(), released.getNamespace(), false, fields);

        assertThat(ReleasedSchemas.backwardProblem(broken, released))
                .contains("TYPE_MISMATCH")
                .contains("latencyMs");
    }

    @Test
    void shouldAcceptANewOptionalFieldWithADefault() {
        Schema released = ReleasedSchemas.load("0.1.0").get("dev.relay.schemas.Job");
        Schema evolved = withField(
                released,
                new Schema.Field(
                        "priority",
                        Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.INT)),
                        null,
                        JsonProperties.NULL_VALUE));

        assertThat(ReleasedSchemas.backwardProblem(evolved, released)).isNull();
    }

    private static Schema withField(Schema record, Schema.Field extra) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : record.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(extra);
        return Schema.createRecord(record.getName(), record.getDoc(), record.getNamespace(), false, fields);
    }
}
