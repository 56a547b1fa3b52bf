package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.schemas.ChatRequestCodec.InvalidRequestException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become HTTP answers, always in OpenAI's error shape
 * ({@code {"error": {"message", "type", "param", "code"}}}) so OpenAI clients surface them as API errors.
 */
public final class ErrorMapper {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);
    private final ObjectMapper json;

    public ErrorMapper(ObjectMapper json) {
        this.json = json;
    }

    public ObjectNode body(int status, String type, String param, String code, String message) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }

    /**
     * The body for an error the HTTP server raised itself (before the router): {@code code} names the status
     * ({@code uri_too_long} for 414, ...), {@code message} carries the server's reason.
     */
    public byte[] serverError(int status, String reason) {
        String code = switch (status) {
            case 400 -> "bad_request";
            case 404 -> "unknown_url";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "request_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 431 -> "request_header_fields_too_large";
            default -> status >= 500 ? "server_error" : "http_" + status;
        };
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        String message = "the HTTP server refused the request (" + status + ")"
                + (reason == null || reason.isBlank() ? "" : ": " + reason);
        try {
            return json.writeValueAsBytes(body(status, type, null, code, message));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void handle(Exception e, Context ctx) {
        ApiException api = toApi(e);
        if (api.status() >= 500) {
            LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
        }
        Responses.json(
                ctx, api.status(), body(api.status(), api.type(), api.param(), api.code(), api.getMessage()), json);
    }

    static ApiException toApi(Exception e) {
        if (e instanceof ApiException api) {
            return api;
        }
        if (e instanceof InvalidRequestException bad) {
            return ApiException.invalid(bad.param(), "invalid_value", bad.getMessage());
        }
        if (e instanceof JobPublisher.PublishException p) {
            return new ApiException(
                    503,
                    "server_error",
                    null,
                    "service_unavailable",
                    "the job was not accepted (Kafka or the schema registry is unavailable); retry later: "
                            + p.getMessage());
        }
        if (e instanceof HttpResponseException http) {
            int status = http.getStatus();
            return new ApiException(
                    status, status >= 500 ? "server_error" : "invalid_request_error", null, null, http.getMessage());
        }
        return new ApiException(
                500, "server_error", null, "internal_error", "the ingress failed to handle this request; see its log");
    }
}
