package dev.relay.ingress.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads a request body defensively: content type, a size cap that also holds for chunked bodies (the stream is read
 * with a limit, not trusted to a Content-Length), strict UTF-8, and JSON parsing with duplicate-key detection and
 * nothing allowed after the value. Every failure is an {@link ApiException} with a 4xx status.
 */
public final class BodyReader {

    private final ObjectMapper strictJson;
    private final long maxBytes;

    public BodyReader(ObjectMapper json, long maxBytes) {
        // trailing tokens: Jackson stops after the first value, so "{...} xyz" would otherwise pass
        this.strictJson = json.copy()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The body as a JSON object; content type must be {@code application/json}. */
    public JsonNode jsonObject(Context ctx) {
        requireContentType(ctx, "application/json");
        String text = utf8(ctx, maxBytes);
        JsonNode node = parse(text, null);
        if (!node.isObject()) {
            throw ApiException.invalid(null, "invalid_json", "the request body must be a JSON object");
        }
        return node;
    }

    /** The body as UTF-8 text of at most {@code limit} bytes, after a content type check. */
    public String text(Context ctx, long limit, String... allowedTypes) {
        requireContentType(ctx, allowedTypes);
        return utf8(ctx, limit);
    }

    public JsonNode parse(String text, String where) {
        try {
            JsonNode node = strictJson.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw ApiException.invalid(
                        null,
                        "invalid_json",
                        (where == null ? "" : where + ": ") + "the request body is empty; expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw ApiException.invalid(
                    null,
                    "invalid_json",
                    (where == null ? "" : where + ": ")
                            + "the request body is not valid JSON"
                            + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
                            + ": " + e.getOriginalMessage());
        }
    }

    private static void requireContentType(Context ctx, String... allowed) {
        String header = ctx.header("Content-Type");
        String mediaType = header == null ? "" : header.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(mediaType)) {
                if (header.toLowerCase(Locale.ROOT).contains("charset=")
                        && !header.toLowerCase(Locale.ROOT).replace(" ", "").contains("charset=utf-8")) {
                    throw new ApiException(
                            415,
                            "invalid_request_error",
                            null,
                            "unsupported_charset",
                            "only UTF-8 request bodies are accepted; got Content-Type '" + header + "'");
                }
                return;
            }
        }
        throw new ApiException(
                415,
                "invalid_request_error",
                null,
                "unsupported_media_type",
                "Content-Type must be " + String.join(" or ", allowed) + "; got "
                        + (header == null ? "none" : "'" + header + "'"));
    }

    private static String utf8(Context ctx, long limit) {
        byte[] bytes = readLimited(ctx, limit);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "invalid_encoding", "the request body is not valid UTF-8");
        }
    }

    private static byte[] readLimited(Context ctx, long limit) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw tooLarge(limit);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw tooLarge(limit);
            }
            return bytes;
        } catch (IOException e) {
            throw ApiException.invalid(
                    null, "unreadable_body", "the request body could not be read: " + e.getMessage());
        }
    }

    private static ApiException tooLarge(long limit) {
        return new ApiException(
                413,
                "invalid_request_error",
                null,
                "request_too_large",
                "the request body is larger than the limit of " + limit + " bytes (ingress.max_body_bytes)");
    }
}
