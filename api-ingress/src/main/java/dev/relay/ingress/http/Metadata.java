package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one check of a {@code metadata} object, for every door that takes one ({@code POST /v1/jobs}, the batch doors),
 * with OpenAI's limits and OpenAI's error codes: at most {@value #MAX_KEYS} keys, keys of at most
 * {@value #MAX_KEY_LENGTH} characters, values strings of at most {@value #MAX_VALUE_LENGTH} characters.
 */
public final class Metadata {

    public static final int MAX_KEYS = 16;
    public static final int MAX_KEY_LENGTH = 64;
    public static final int MAX_VALUE_LENGTH = 512;

    private Metadata() {}

    /**
     * The pairs, in the order sent; empty when {@code metadata} is absent or null. A 400 {@link ApiException} when it is
     * not an object ({@code invalid_type}), has too many keys ({@code object_above_max_properties}), a key or a value
     * too long ({@code string_above_max_length}) or a value that is not a string ({@code invalid_type}).
     */
    public static Map<String, String> check(JsonNode metadata) {
        if (metadata == null || metadata.isNull()) {
            return Map.of();
        }
        if (!metadata.isObject()) {
            throw ApiException.invalid(
                    "metadata",
                    "invalid_type",
                    "Invalid type for 'metadata': expected an object, but got " + kind(metadata) + " instead.");
        }
        if (metadata.size() > MAX_KEYS) {
            throw ApiException.invalid(
                    "metadata",
                    "object_above_max_properties",
                    "Invalid 'metadata': too many properties. Expected an object with at most " + MAX_KEYS
                            + " properties, but got an object with " + metadata.size() + " properties instead.");
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        metadata.fields().forEachRemaining(e -> {
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.length() > MAX_KEY_LENGTH) {
                throw ApiException.invalid(
                        "metadata",
                        "string_above_max_length",
                        "Invalid 'metadata': key too long. Expected keys with maximum length " + MAX_KEY_LENGTH
                                + ", but got a key with length " + key.length() + " instead.");
            }
            String param = "metadata." + key;
            if (!value.isTextual()) {
                throw ApiException.invalid(
                        param,
                        "invalid_type",
                        "Invalid type for '" + param + "': expected a string, but got " + kind(value) + " instead.");
            }
            if (value.asText().length() > MAX_VALUE_LENGTH) {
                throw ApiException.invalid(
                        param,
                        "string_above_max_length",
                        "Invalid '" + param + "': string too long. Expected a string with maximum length "
                                + MAX_VALUE_LENGTH + ", but got a string with length "
                                + value.asText().length()
                                + " instead.");
            }
            pairs.put(key, value.asText());
        });
        return Collections.unmodifiableMap(pairs);
    }

    /** A JSON value's kind, as OpenAI's messages name it. */
    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case OBJECT, POJO -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case BOOLEAN -> "a boolean";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a decimal";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }
}
