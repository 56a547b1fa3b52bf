package dev.relay.processor.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The two Confluent registry calls the serde makes (register a subject version, read a schema by id), for
 * TopologyTestDriver tests that have no real registry. A real local HTTP server, so the real client is exercised.
 */
final class StubSchemaRegistry implements AutoCloseable {

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, String> schemas = new ConcurrentHashMap<>();
    private final HttpServer server;

    StubSchemaRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String answer;
        int status = 200;
        if (ex.getRequestMethod().equals("POST") && path.startsWith("/subjects/") && path.endsWith("/versions")) {
            JsonNode body = json.readTree(ex.getRequestBody());
            String schema = body.path("schema").asText();
            int id = ids.computeIfAbsent(schema, s -> ids.size() + 1);
            schemas.put(id, schema);
            answer = json.createObjectNode().put("id", id).toString();
        } else if (ex.getRequestMethod().equals("GET") && path.startsWith("/schemas/ids/")) {
            String schema = schemas.get(Integer.parseInt(path.substring("/schemas/ids/".length())));
            if (schema == null) {
                status = 404;
                answer = json.createObjectNode().put("error_code", 40403).put("message", "not found").toString();
            } else {
                answer = json.createObjectNode().put("schema", schema).toString();
            }
        } else {
            status = 404;
            answer = "{\"error_code\":404,\"message\":\"not stubbed\"}";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
