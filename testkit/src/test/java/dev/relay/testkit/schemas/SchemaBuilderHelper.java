package dev.relay.testkit.schemas;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;

/** Derives test schemas from the generated ones. */
final class SchemaBuilderHelper {

    private SchemaBuilderHelper() {}

    /** The record schema plus one optional string field (default null): a BACKWARD compatible change. */
    static Schema withExtraOptionalField(Schema record, String name) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : record.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field(
                name,
                Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                null,
                JsonProperties.NULL_VALUE));
        return Schema.createRecord(record.getName(), record.getDoc(), record.getNamespace(), false, fields);
    }
}
