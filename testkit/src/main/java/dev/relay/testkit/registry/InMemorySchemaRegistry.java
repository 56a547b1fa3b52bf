package dev.relay.testkit.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small, honest fake of the Confluent Schema Registry REST API on the JDK HTTP server (127.0.0.1, free port), for
 * fast unit tests (TopologyTestDriver) that need a registry but not a process. It keeps the behaviour the serde relies
 * on: ids per schema content shared across subjects, per-subject versions, schema references, the compatibility
 * check (Avro's own {@code SchemaCompatibility}, BACKWARD by default), {@code PUT /config}, and Confluent's error
 * codes. The same contract test runs against it and against the real Apicurio, which keeps it honest.
 */
public final class InMemorySchemaRegistry implements AutoCloseable {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final ObjectMapper json = new ObjectMapper();
    private final RegistryState state = new RegistryState();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final ExecutorService executor;

    private InMemorySchemaRegistry(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts the fake on 127.0.0.1 and a free port. */
    public static InMemorySchemaRegistry start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            server.setExecutor(executor);
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry(server, executor);
            server.createContext("/", registry::handle);
            server.start();
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the in-memory schema registry", e);
        }
    }

    /** The base URL to give a client, for example {@code http://127.0.0.1:40123}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every {@code Authorization} header received so far, in order (requests without one are not listed). */
    public List<String> authorizationHeaders() {
        return List.copyOf(authorizations);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Optional.ofNullable(ex.getRequestHeaders().getFirst("Authorization"))
                    .ifPresent(authorizations::add);
            Reply reply;
            try {
                reply = route(
                        ex.getRequestMethod(),
                        segments(ex.getRequestURI().getRawPath()),
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            } catch (RegistryState.Failure f) {
                reply = new Reply(
                        f.status,
                        json.createObjectNode().put("error_code", f.code).put("message", f.getMessage()));
            } catch (RuntimeException e) {
                reply = new Reply(
                        500, json.createObjectNode().put("error_code", 50001).put("message", e.toString()));
            }
            byte[] body = json.writeValueAsBytes(reply.body);
            ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            ex.sendResponseHeaders(reply.status, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private record Reply(int status, JsonNode body) {
        static Reply ok(JsonNode body) {
            return new Reply(200, body);
        }
    }

    private Reply route(String method, List<String> p, String body) throws IOException {
        int n = p.size();
        if (method.equals("GET") && n == 1 && p.get(0).equals("subjects")) {
            return Reply.ok(json.valueToTree(state.subjects()));
        }
        if (method.equals("GET")
                && n == 3
                && p.get(0).equals("schemas")
                && p.get(1).equals("ids")) {
            return Reply.ok(schemaBody(state.byId(parseInt(p.get(2), 40403))));
        }
        if (method.equals("GET")
                && n == 3
                && p.get(0).equals("subjects")
                && p.get(2).equals("versions")) {
            return Reply.ok(json.valueToTree(state.versions(p.get(1))));
        }
        if (method.equals("GET")
                && n == 4
                && p.get(0).equals("subjects")
                && p.get(2).equals("versions")) {
            return Reply.ok(versionBody(state.version(p.get(1), p.get(3))));
        }
        if (method.equals("POST")
                && n == 3
                && p.get(0).equals("subjects")
                && p.get(2).equals("versions")) {
            JsonNode req = json.readTree(body);
            int id = state.register(p.get(1), req.path("schema").asText(), references(req));
            return Reply.ok(json.createObjectNode().put("id", id));
        }
        if (method.equals("POST") && n == 2 && p.get(0).equals("subjects")) {
            JsonNode req = json.readTree(body);
            return Reply.ok(
                    versionBody(state.lookup(p.get(1), req.path("schema").asText(), references(req))));
        }
        if (method.equals("POST")
                && n == 5
                && p.get(0).equals("compatibility")
                && p.get(1).equals("subjects")
                && p.get(3).equals("versions")) {
            JsonNode req = json.readTree(body);
            boolean ok =
                    state.isCompatible(p.get(2), p.get(4), req.path("schema").asText(), references(req));
            return Reply.ok(json.createObjectNode().put("is_compatible", ok));
        }
        if (p.size() <= 2 && !p.isEmpty() && p.get(0).equals("config")) {
            String subject = n == 2 ? p.get(1) : null;
            if (method.equals("PUT")) {
                String level = json.readTree(body).path("compatibility").asText();
                state.setCompatibility(subject, level);
                return Reply.ok(json.createObjectNode().put("compatibility", level));
            }
            if (method.equals("GET")) {
                return Reply.ok(json.createObjectNode().put("compatibilityLevel", state.compatibility(subject)));
            }
        }
        if (method.equals("DELETE") && n == 2 && p.get(0).equals("subjects")) {
            return Reply.ok(json.valueToTree(state.deleteSubject(p.get(1))));
        }
        throw new RegistryState.Failure(404, 404, "no such endpoint: " + method + " /" + String.join("/", p));
    }

    private JsonNode schemaBody(RegistryState.Content content) {
        ObjectNode out = json.createObjectNode().put("schema", content.schema());
        if (!content.references().isEmpty()) {
            var refs = out.putArray("references");
            content.references()
                    .forEach(r -> refs.addObject()
                            .put("name", r.name())
                            .put("subject", r.subject())
                            .put("version", r.version()));
        }
        return out;
    }

    private JsonNode versionBody(RegistryState.SubjectVersion v) {
        ObjectNode out = (ObjectNode) schemaBody(state.byId(v.id()));
        out.put("subject", v.subject()).put("version", v.version()).put("id", v.id());
        return out;
    }

    private static List<RegistryState.Reference> references(JsonNode req) {
        List<RegistryState.Reference> refs = new ArrayList<>();
        req.path("references")
                .forEach(r -> refs.add(new RegistryState.Reference(
                        r.path("name").asText(),
                        r.path("subject").asText(),
                        r.path("version").asInt())));
        return refs;
    }

    private static int parseInt(String s, int errorCode) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new RegistryState.Failure(404, errorCode, "not found: " + s);
        }
    }

    private static List<String> segments(String rawPath) {
        return Arrays.stream(rawPath.split("/"))
                .filter(s -> !s.isEmpty())
                .map(s -> URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8))
                .toList();
    }
}
