package dev.relay.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/** Loads a released schema set from the test resources and checks current schemas against it. */
final class ReleasedSchemas {

    /** Files in dependency order: named types are defined before they are referenced (as in the avro plugin's imports). */
    static final List<String> FILES = List.of(
            "common/OutcomeClass.avsc",
            "common/Decision.avsc",
            "common/Target.avsc",
            "common/ErrorInfo.avsc",
            "common/AttemptSummary.avsc",
            "Job.avsc",
            "AttemptRecord.avsc",
            "JobResult.avsc",
            "FailedJob.avsc");

    private ReleasedSchemas() {}

    /** Every named type (records, enums, fixed) of a released version, by full name. */
    static Map<String, Schema> load(String version) {
        Schema.Parser parser = new Schema.Parser();
        for (String file : FILES) {
            String path = "/released/" + version + "/" + file;
            try (InputStream in = ReleasedSchemas.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("missing released schema " + path);
                }
                parser.parse(in);
            } catch (IOException e) {
                throw new UncheckedIOException(path, e);
            }
        }
        return new LinkedHashMap<>(parser.getTypes());
    }

    /** Every named type reachable from the generated classes: what today's code writes and reads. */
    static Map<String, Schema> current() {
        Map<String, Schema> out = new LinkedHashMap<>();
        for (Schema root : List.of(
                Job.getClassSchema(),
                AttemptRecord.getClassSchema(),
                JobResult.getClassSchema(),
                FailedJob.getClassSchema())) {
            collect(root, out);
        }
        return out;
    }

    private static void collect(Schema root, Map<String, Schema> out) {
        Deque<Schema> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            Schema s = todo.pop();
            switch (s.getType()) {
                case RECORD -> {
                    if (out.putIfAbsent(s.getFullName(), s) == null) {
                        s.getFields().forEach(f -> todo.push(f.schema()));
                    }
                }
                case ENUM, FIXED -> out.putIfAbsent(s.getFullName(), s);
                case ARRAY -> todo.push(s.getElementType());
                case MAP -> todo.push(s.getValueType());
                case UNION -> s.getTypes().forEach(todo::push);
                default -> {}
            }
        }
    }

    /** Null when {@code reader} can read everything {@code writer} wrote; otherwise Avro's description of why not. */
    static String backwardProblem(Schema reader, Schema writer) {
        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return null;
        }
        return result.getResult().getIncompatibilities().stream()
                .map(i -> i.getType() + " at " + named(reader, i.getLocation()) + ": " + i.getMessage())
                .toList()
                .toString();
    }

    /** Avro reports {@code /fields/8/type}; add the field names ({@code /fields/8(latencyMs)/type}) for humans. */
    private static String named(Schema reader, String location) {
        StringBuilder out = new StringBuilder();
        Schema at = reader;
        String[] parts = location.split("/");
        for (int i = 1; i < parts.length; i++) {
            out.append('/').append(parts[i]);
            if (parts[i].equals("fields") && i + 1 < parts.length && at != null && at.getType() == Schema.Type.RECORD) {
                int index = Integer.parseInt(parts[++i]);
                Schema.Field field = at.getFields().get(index);
                out.append('/').append(index).append('(').append(field.name()).append(')');
                at = field.schema();
            } else if (!parts[i].equals("type")) {
                at = null; // inside unions, arrays or maps: keep Avro's path as it is
            }
        }
        return out.toString();
    }
}
