package dev.relay.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A small client for the Confluent Schema Registry REST API (Confluent SR, Apicurio's {@code /apis/ccompat/v7},
 * Karapace, Redpanda). Caches ids both ways; resolves schema references when reading by id.
 */
public final class SchemaRegistryClient {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    /** A reference from one schema to a named type registered under another subject. */
    public record SchemaReference(String name, String subject, int version) {}

    /** A subject's version: its global id, version number and schema. */
    public record RegisteredSchema(String subject, int id, int version, Schema schema) {}

    private final URI baseUrl;
    private final Optional<String> authorization;
    private final Duration timeout;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> idBySubjectAndSchema = new ConcurrentHashMap<>();

    private SchemaRegistryClient(URI baseUrl, Optional<String> authorization, Duration timeout) {
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.authorization = authorization;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public static SchemaRegistryClient create(String baseUrl) {
        return new SchemaRegistryClient(URI.create(baseUrl), Optional.empty(), Duration.ofSeconds(10));
    }

    public static SchemaRegistryClient withBasicAuth(String baseUrl, String user, String password) {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new SchemaRegistryClient(URI.create(baseUrl), Optional.of("Basic " + token), Duration.ofSeconds(10));
    }

    public static SchemaRegistryClient withBearerToken(String baseUrl, String token) {
        return new SchemaRegistryClient(URI.create(baseUrl), Optional.of("Bearer " + token), Duration.ofSeconds(10));
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** Registers (or finds) the schema under the subject and returns its global id. Idempotent. */
    public int register(String subject, Schema schema) {
        return register(subject, schema, List.of());
    }

    public int register(String subject, Schema schema, List<SchemaReference> references) {
        String cacheKey = subject + "\u0000" + schema.toString();
        Integer cached = idBySubjectAndSchema.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + enc(subject) + "/versions", body(schema, references));
        int id = answer.path("id").asInt();
        idBySubjectAndSchema.put(cacheKey, id);
        byId.putIfAbsent(id, schema);
        return id;
    }

    /**
     * The id of this exact schema under the subject, without registering it ({@code POST /subjects/{subject}}).
     * Throws {@link SchemaRegistryException.NotFound} (40401 subject, 40403 schema) when it is not registered.
     */
    public int lookup(String subject, Schema schema) {
        String cacheKey = subject + "\u0000" + schema.toString();
        Integer cached = idBySubjectAndSchema.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + enc(subject), body(schema, List.of()));
        int id = answer.path("id").asInt();
        idBySubjectAndSchema.put(cacheKey, id);
        byId.putIfAbsent(id, schema);
        return id;
    }

    /** The writer schema with this global id, with its references resolved. */
    public Schema getById(int id) {
        Schema cached = byId.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(answer);
        byId.put(id, schema);
        return schema;
    }

    public RegisteredSchema getLatest(String subject) {
        return getVersion(subject, "latest");
    }

    public RegisteredSchema getVersion(String subject, String version) {
        JsonNode answer = send("GET", "/subjects/" + enc(subject) + "/versions/" + version, null);
        Schema schema = parse(answer);
        int id = answer.path("id").asInt();
        byId.putIfAbsent(id, schema);
        return new RegisteredSchema(subject, id, answer.path("version").asInt(), schema);
    }

    /** Whether the schema may be registered under the subject; a subject that does not exist yet accepts anything. */
    public boolean isCompatible(String subject, Schema schema) {
        try {
            JsonNode answer = send(
                    "POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest", body(schema, List.of()));
            return answer.path("is_compatible").asBoolean(false);
        } catch (SchemaRegistryException.NotFound e) {
            if (e.errorCode() == 40401) {
                return true; // no such subject yet: the first version is always accepted
            }
            throw e; // anything else (a wrong base URL, say) must not pass as "compatible"
        }
    }

    /** Sets the subject's compatibility level (BACKWARD, FULL, NONE, ...), or the global one when subject is null. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = json.createObjectNode().put("compatibility", level);
        send("PUT", subject == null ? "/config" : "/config/" + enc(subject), body.toString());
    }

    public List<String> subjects() {
        JsonNode answer = send("GET", "/subjects", null);
        List<String> out = new ArrayList<>();
        answer.forEach(n -> out.add(n.asText()));
        return out;
    }

    private Schema parse(JsonNode answer) {
        Schema.Parser parser = new Schema.Parser();
        resolveReferences(answer.path("references"), parser);
        return parser.parse(answer.path("schema").asText());
    }

    private void resolveReferences(JsonNode references, Schema.Parser parser) {
        for (JsonNode ref : references) {
            String name = ref.path("name").asText();
            if (parser.getTypes().containsKey(name)) {
                continue;
            }
            JsonNode referenced = send(
                    "GET",
                    "/subjects/" + enc(ref.path("subject").asText()) + "/versions/"
                            + ref.path("version").asInt(),
                    null);
            resolveReferences(referenced.path("references"), parser);
            parser.parse(referenced.path("schema").asText());
        }
    }

    private String body(Schema schema, List<SchemaReference> references) {
        ObjectNode body = json.createObjectNode();
        body.put("schemaType", "AVRO");
        body.put("schema", references.isEmpty() ? schema.toString() : textNaming(schema, references));
        if (!references.isEmpty()) {
            ArrayNode refs = body.putArray("references");
            for (SchemaReference r : references) {
                refs.addObject()
                        .put("name", r.name())
                        .put("subject", r.subject())
                        .put("version", r.version());
            }
        }
        return body.toString();
    }

    /**
     * The schema's text with every referenced type written by name only: the registry resolves those names through
     * the references, and would refuse a text that defines them a second time.
     */
    private static String textNaming(Schema schema, List<SchemaReference> references) {
        Set<String> names = new HashSet<>();
        references.forEach(r -> names.add(r.name()));
        List<Schema> referenced = new ArrayList<>();
        Deque<Schema> todo = new ArrayDeque<>(List.of(schema));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Schema s = todo.pop();
            switch (s.getType()) {
                case RECORD, ENUM, FIXED -> {
                    if (!seen.add(s.getFullName())) {
                        continue;
                    }
                    if (s != schema && names.contains(s.getFullName())) {
                        referenced.add(s);
                    } else if (s.getType() == Schema.Type.RECORD) {
                        s.getFields().forEach(f -> todo.push(f.schema()));
                    }
                }
                case ARRAY -> todo.push(s.getElementType());
                case MAP -> todo.push(s.getValueType());
                case UNION -> s.getTypes().forEach(todo::push);
                default -> {}
            }
        }
        return schema.toString(referenced, false);
    }

    private JsonNode send(String method, String path, String body) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", CONTENT_TYPE + ", application/json")
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            req.header("Content-Type", CONTENT_TYPE);
        }
        authorization.ifPresent(a -> req.header("Authorization", a));
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SchemaRegistryException.Unavailable(0, "schema registry " + baseUrl + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException.Unavailable(0, "interrupted calling schema registry " + baseUrl, e);
        }
        JsonNode answer = readJson(resp.body());
        int status = resp.statusCode();
        if (status / 100 == 2) {
            return answer;
        }
        int code = answer.path("error_code").asInt(status);
        String message = method + " " + path + " -> " + status + " (" + code + "): "
                + answer.path("message").asText(resp.body());
        if (status == 404) {
            throw new SchemaRegistryException.NotFound(code, message);
        }
        if (status == 409) {
            throw new SchemaRegistryException.Incompatible(message);
        }
        if (status == 401 || status == 403) {
            throw new SchemaRegistryException.Unauthorized(status, message);
        }
        if (status >= 500) {
            throw new SchemaRegistryException.Unavailable(status, message, null);
        }
        throw new SchemaRegistryException(status, code, message, null);
    }

    private JsonNode readJson(String body) {
        if (body == null || body.isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return json.createObjectNode().put("message", body);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
