package dev.relay.processor.provider.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.processor.provider.mapping.Json;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A JSON body of one object with one array field, {@code {"field": [element, ...]}} (Anthropic's Message Batch create,
 * {@code {"requests": [...]}}), written element by element to a temporary file as they are made, and sent from that
 * file with its size as the Content-Length: the heap never holds the whole body (50,000 requests of several KB each).
 * The bytes are those of {@link Json#bytes} on the whole tree. Close it once the request has been sent: the file is
 * deleted.
 */
final class JsonArrayBody implements AutoCloseable {

    private final Path file;
    private final JsonGenerator out;
    private boolean ended;

    JsonArrayBody(String field) throws IOException {
        this.file = Files.createTempFile("relay-batch-", ".json");
        try {
            this.out = Json.MAPPER.createGenerator(new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024));
            out.writeStartObject();
            out.writeArrayFieldStart(field);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** Appends one element of the array. */
    void add(JsonNode element) throws IOException {
        out.writeTree(element);
    }

    /** The whole body: the elements added so far, the array and the object closed. Call it once. */
    HttpRequest.BodyPublisher publisher() throws IOException {
        if (!ended) {
            ended = true;
            out.writeEndArray();
            out.writeEndObject();
            out.flush();
        }
        return HttpRequest.BodyPublishers.ofFile(file);
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
