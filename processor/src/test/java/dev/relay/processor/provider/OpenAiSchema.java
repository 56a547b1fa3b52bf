package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates request bodies against the trimmed copy of OpenAI's {@code CreateChatCompletionRequest} schema
 * ({@code providers/openai-chat-request.schema.json}, which cites its source). The schema allows unknown top-level
 * fields (it is an allOf), so the top-level names are also checked against the properties it declares.
 */
final class OpenAiSchema {

    private static final String RESOURCE = "/providers/openai-chat-request.schema.json";

    private final Schema schema;
    private final Set<String> knownFields = new HashSet<>();

    OpenAiSchema() {
        try (InputStream in = OpenAiSchema.class.getResourceAsStream(RESOURCE)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                    .getSchema(text, InputFormat.JSON);
            JsonNode defs = new ObjectMapper().readTree(text).get("$defs");
            for (String name : List.of(
                    "CreateChatCompletionRequest", "CreateModelResponseProperties", "ModelResponseProperties")) {
                collect(defs.get(name), defs);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void collect(JsonNode def, JsonNode defs) {
        if (def == null) {
            return;
        }
        def.path("properties").fieldNames().forEachRemaining(knownFields::add);
        for (JsonNode part : def.path("allOf")) {
            if (part.has("$ref")) {
                collect(defs.get(part.get("$ref").asText().replace("#/$defs/", "")), defs);
            } else {
                collect(part, defs);
            }
        }
    }

    void assertValid(JsonNode body) {
        List<Error> errors = schema.validate(body.toString(), InputFormat.JSON);
        assertThat(errors).as("schema errors for %s", body).isEmpty();
        body.fieldNames()
                .forEachRemaining(
                        f -> assertThat(knownFields).as("top-level field %s", f).contains(f));
    }
}
