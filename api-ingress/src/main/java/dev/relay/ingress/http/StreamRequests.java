package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.config.IngressSettings;
import dev.relay.schemas.StreamSpec;
import io.javalin.http.Context;
import java.util.Locale;

/** Reads a request's streaming options: {@code stream}, {@code stream_options} and {@code x-relay-stream-mode}. */
public final class StreamRequests {

    public static final String MODE_HEADER = "x-relay-stream-mode";

    private StreamRequests() {}

    /** Whether the body asks for a stream; {@code stream} must be a boolean and {@code stream_options} an object. */
    public static boolean wanted(JsonNode body) {
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw ApiException.invalid("stream", "invalid_type", "'stream' must be a boolean");
        }
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "invalid_type", "'stream_options' must be an object");
            }
            JsonNode usage = options.get("include_usage");
            if (usage != null && !usage.isNull() && !usage.isBoolean()) {
                throw ApiException.invalid(
                        "stream_options.include_usage",
                        "invalid_type",
                        "'stream_options.include_usage' must be a boolean");
            }
        }
        return stream != null && stream.asBoolean(false);
    }

    /** The StreamSpec of a streaming request accepted by this instance (which reads {@code partition}). */
    public static StreamSpec spec(Context ctx, JsonNode body, IngressSettings settings, int partition) {
        String mode = ctx.header(MODE_HEADER);
        boolean buffered;
        if (mode == null || mode.isBlank()) {
            buffered = IngressSettings.STREAM_BUFFERED.equals(settings.streamMode());
        } else {
            buffered = switch (mode.trim().toLowerCase(Locale.ROOT)) {
                case IngressSettings.STREAM_BUFFERED -> true;
                case IngressSettings.STREAM_LIVE -> false;
                default ->
                    throw ApiException.invalid(
                            MODE_HEADER,
                            "invalid_header",
                            MODE_HEADER + " must be live or buffered, got '" + mode + "'");
            };
        }
        boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
        return StreamSpec.newBuilder()
                .setReplyPartition(partition)
                .setBuffered(buffered)
                .setIncludeUsage(usage)
                .build();
    }
}
