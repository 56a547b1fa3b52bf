package dev.relay.testkit.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/** The data and rules behind {@link InMemorySchemaRegistry}; every method is one REST call, under one lock. */
final class RegistryState {

    record Reference(String name, String subject, int version) {}

    /** One schema content: the id is shared by every subject that registers the same content. */
    record Content(int id, String schema, List<Reference> references, Schema parsed) {}

    record SubjectVersion(String subject, int version, int id) {}

    /** A Confluent-style error: HTTP status plus {@code error_code}. */
    static final class Failure extends RuntimeException {
        final int status;
        final int code;

        Failure(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private static final Set<String> LEVELS = Set.of(
            "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE");

    private final Map<Integer, Content> byId = new HashMap<>();
    private final Map<String, Integer> idByContent = new HashMap<>();
    private final Map<String, List<SubjectVersion>> subjects = new LinkedHashMap<>();
    private final Map<String, String> subjectLevels = new HashMap<>();
    private String globalLevel = "BACKWARD";

    synchronized List<String> subjects() {
        return List.copyOf(subjects.keySet());
    }

    synchronized Content byId(int id) {
        Content c = byId.get(id);
        if (c == null) {
            throw new Failure(404, 40403, "Schema " + id + " not found");
        }
        return c;
    }

    synchronized List<Integer> versions(String subject) {
        return existing(subject).stream().map(SubjectVersion::version).toList();
    }

    synchronized SubjectVersion version(String subject, String version) {
        List<SubjectVersion> versions = existing(subject);
        if (version.equals("latest") || version.equals("-1")) {
            return versions.get(versions.size() - 1);
        }
        int v;
        try {
            v = Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw new Failure(422, 42202, "The specified version '" + version + "' is not a valid version id");
        }
        return versions.stream()
                .filter(sv -> sv.version() == v)
                .findFirst()
                .orElseThrow(() -> new Failure(404, 40402, "Version " + v + " not found"));
    }

    synchronized int register(String subject, String schema, List<Reference> references) {
        Schema parsed = parse(schema, references);
        String key = contentKey(parsed, references);
        List<SubjectVersion> versions = subjects.getOrDefault(subject, List.of());
        Integer knownId = idByContent.get(key);
        if (knownId != null) {
            for (SubjectVersion v : versions) {
                if (v.id() == knownId) {
                    return knownId; // the same content again: idempotent
                }
            }
        }
        if (!versions.isEmpty() && !compatible(compatibility(subject), parsed, versions)) {
            throw new Failure(
                    409,
                    409,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\" ("
                            + compatibility(subject) + ")");
        }
        int id = knownId != null ? knownId : byId.size() + 1;
        if (knownId == null) {
            // keep the text as sent: with references it names types it does not define, and must stay that way
            byId.put(id, new Content(id, schema, List.copyOf(references), parsed));
            idByContent.put(key, id);
        }
        int next = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
        subjects.computeIfAbsent(subject, s -> new ArrayList<>()).add(new SubjectVersion(subject, next, id));
        return id;
    }

    synchronized SubjectVersion lookup(String subject, String schema, List<Reference> references) {
        List<SubjectVersion> versions = existing(subject);
        Integer id = idByContent.get(contentKey(parse(schema, references), references));
        return versions.stream()
                .filter(v -> id != null && v.id() == id)
                .findFirst()
                .orElseThrow(() -> new Failure(404, 40403, "Schema not found"));
    }

    synchronized boolean isCompatible(String subject, String version, String schema, List<Reference> references) {
        Schema parsed = parse(schema, references);
        List<SubjectVersion> against = version.equals("latest") || version.equals("-1")
                ? existing(subject)
                : List.of(version(subject, version));
        return compatible(compatibility(subject), parsed, against);
    }

    synchronized void setCompatibility(String subject, String level) {
        if (!LEVELS.contains(level)) {
            throw new Failure(422, 42203, "Invalid compatibility level: " + level);
        }
        if (subject == null) {
            globalLevel = level;
        } else {
            subjectLevels.put(subject, level);
        }
    }

    synchronized String compatibility(String subject) {
        return subject == null ? globalLevel : subjectLevels.getOrDefault(subject, globalLevel);
    }

    synchronized List<Integer> deleteSubject(String subject) {
        List<Integer> versions = versions(subject);
        subjects.remove(subject);
        return versions;
    }

    private List<SubjectVersion> existing(String subject) {
        List<SubjectVersion> versions = subjects.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new Failure(404, 40401, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    /** Checks against the latest version, or every version for the *_TRANSITIVE levels. */
    private boolean compatible(String level, Schema candidate, List<SubjectVersion> versions) {
        if (level.equals("NONE")) {
            return true;
        }
        List<SubjectVersion> against =
                level.endsWith("_TRANSITIVE") ? versions : List.of(versions.get(versions.size() - 1));
        for (SubjectVersion v : against) {
            Schema existing = byId.get(v.id()).parsed();
            boolean backward = canRead(candidate, existing);
            boolean forward = canRead(existing, candidate);
            boolean ok = switch (level.replace("_TRANSITIVE", "")) {
                case "BACKWARD" -> backward;
                case "FORWARD" -> forward;
                default -> backward && forward;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean canRead(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                        .getType()
                == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    private Schema parse(String schema, List<Reference> references) {
        Schema.Parser parser = new Schema.Parser();
        for (Reference r : references) {
            SubjectVersion v = version(r.subject(), Integer.toString(r.version()));
            Content referenced = byId(v.id());
            if (!parser.getTypes().containsKey(r.name())) {
                parser.parse(referenced.parsed().toString());
            }
        }
        try {
            return parser.parse(schema);
        } catch (RuntimeException e) { // SchemaParseException, AvroTypeException, bad JSON
            throw new Failure(422, 42201, "Invalid schema: " + e.getMessage());
        }
    }

    /** Parsed-and-printed form, so whitespace does not make a new id (Confluent's behaviour). */
    private static String contentKey(Schema parsed, List<Reference> references) {
        return parsed.toString() + references;
    }
}
