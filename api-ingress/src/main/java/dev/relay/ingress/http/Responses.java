package dev.relay.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;

/** Writes JSON bodies with Relay's ObjectMapper (not Javalin's), so every answer is encoded the same way. */
public final class Responses {

    private Responses() {}

    public static void json(Context ctx, int status, JsonNode body, ObjectMapper json) {
        try {
            ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a response body", e);
        }
    }
}
