package dev.relay.processor.provider.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.Redactor;
import dev.relay.processor.provider.http.RelayVersion;
import dev.relay.processor.provider.mapping.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.LineNumberReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP side of the batch APIs: one JDK client per provider, and one place where a non-2xx answer becomes a
 * {@link BatchApiException} (the body parsed by the provider's {@link Dialect}, so its error type and code classify
 * as in real time). The key is only ever put in a header.
 */
final class BatchHttp implements AutoCloseable {

    /** A {@code custom_id} in a line that is not JSON (what is left of a cut line, say). */
    private static final Pattern CUSTOM_ID = Pattern.compile("\"custom_id\"\\s*:\\s*\"([^\"\\\\]{1,256})\"");

    private final String provider;
    private final URI base;
    private final Dialect dialect;
    private final Duration timeout;
    private final Map<String, String> extraHeaders;
    private final HttpClient client;

    BatchHttp(String provider, URI base, Dialect dialect, Duration timeout, Map<String, String> extraHeaders) {
        this.provider = provider;
        this.base = base;
        this.dialect = dialect;
        this.timeout = timeout;
        this.extraHeaders = extraHeaders;
        this.client = HttpClient.newBuilder()
                .version("https".equals(base.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    Dialect dialect() {
        return dialect;
    }

    /** {@code base} + {@code path} (the path starts with a slash). */
    URI uri(String path) {
        String b = base.toString();
        return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
    }

    HttpRequest.Builder request(URI uri, Map<String, String> headers) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri).timeout(timeout).header("User-Agent", RelayVersion.userAgent());
        extraHeaders.forEach(b::header);
        headers.forEach(b::header);
        return b;
    }

    /** Sends and returns the 2xx body; throws {@link BatchApiException} for any other status. */
    byte[] send(String what, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) {
            throw refused(what, r.statusCode(), r.body(), request);
        }
        return r.body();
    }

    /**
     * {@code GET} of {@code base + path} (with its query), and the 2xx answer parsed as JSON; {@link BatchApiException}
     * for any other status.
     */
    JsonNode getJson(String what, String path, Map<String, String> headers) throws IOException, InterruptedException {
        return Json.MAPPER.readTree(send(what, request(uri(path), headers).GET().build()));
    }

    /**
     * {@code POST} to {@code base + path} with no body, and the 2xx answer parsed as JSON; {@link BatchApiException}
     * for any other status.
     */
    JsonNode postForJson(String what, String path, Map<String, String> headers)
            throws IOException, InterruptedException {
        return Json.MAPPER.readTree(send(
                what,
                request(uri(path), headers)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build()));
    }

    /**
     * {@code POST} of {@code body} as {@code application/json} to {@code base + path}, and the 2xx answer parsed as
     * JSON; {@link BatchApiException} for any other status.
     */
    JsonNode postForJson(String what, String path, Map<String, String> headers, JsonNode body)
            throws IOException, InterruptedException {
        return postForJson(what, path, headers, HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
    }

    /**
     * {@code POST} of a JSON {@code body} (streamed from a file, say) as {@code application/json} to
     * {@code base + path}, and the 2xx answer parsed as JSON; {@link BatchApiException} for any other status.
     */
    JsonNode postForJson(String what, String path, Map<String, String> headers, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        return Json.MAPPER.readTree(send(
                what,
                request(uri(path), headers)
                        .header("Content-Type", "application/json")
                        .POST(body)
                        .build()));
    }

    /**
     * A line of a JSONL answer that is not JSON: its number (1-based, blank lines counted) and the {@code custom_id} it
     * names, when one can be made out of what is there (null otherwise). Nothing else of the line is kept: it could
     * quote a completion.
     */
    record Unreadable(int line, String customId) {}

    /**
     * Sends and maps each non-blank line of the 2xx JSONL answer as it arrives, so a result file of 50,000 items is
     * never held whole, only what {@code map} makes of each line; a line that is not JSON is mapped by {@code
     * unreadable}, and the lines after it are read as usual.
     */
    <T> List<T> jsonLines(
            String what, HttpRequest request, Function<JsonNode, T> map, Function<Unreadable, T> unreadable)
            throws IOException, InterruptedException {
        List<T> mapped = new ArrayList<>();
        try (LineNumberReader lines = openLines(what, request)) {
            for (String line = nextLine(lines); line != null; line = nextLine(lines)) {
                JsonNode json = parse(line);
                mapped.add(
                        json != null
                                ? map.apply(json)
                                : unreadable.apply(new Unreadable(lines.getLineNumber(), customIdIn(line))));
            }
        }
        return mapped;
    }

    /** The first non-blank line of the 2xx JSONL answer that is JSON, parsed; the rest of the answer is not read. */
    Optional<JsonNode> firstJsonLine(String what, HttpRequest request) throws IOException, InterruptedException {
        try (LineNumberReader lines = openLines(what, request)) {
            for (String line = nextLine(lines); line != null; line = nextLine(lines)) {
                JsonNode json = parse(line);
                if (json != null) {
                    return Optional.of(json);
                }
            }
            return Optional.empty();
        }
    }

    private LineNumberReader openLines(String what, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() / 100 != 2) {
            try (InputStream error = r.body()) {
                throw refused(what, r.statusCode(), error.readAllBytes(), request);
            }
        }
        return new LineNumberReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    }

    /** The next non-blank line, or null at the end of the answer. */
    private static String nextLine(LineNumberReader lines) throws IOException {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (!line.isBlank()) {
                return line;
            }
        }
        return null;
    }

    /** The line parsed, or null when it is not JSON. */
    private static JsonNode parse(String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The {@code custom_id} a line that is not JSON names, or null. */
    private static String customIdIn(String line) {
        Matcher m = CUSTOM_ID.matcher(line);
        return m.find() ? m.group(1) : null;
    }

    /**
     * The provider's error, with key material taken out of its message: providers echo keys back (OpenAI's 401
     * "Incorrect API key provided: ..."), and the message reaches the log and the items' failures. The values of the
     * request's credential headers ({@code Authorization}, and any header whose name has "key" in it: {@code x-api-key},
     * {@code x-goog-api-key}, {@code api-key}) are redacted, and so is anything shaped like a key.
     */
    private BatchApiException refused(String what, int status, byte[] body, HttpRequest request) {
        ProviderError e = dialect.parseError(status, body);
        List<String> credentials = new ArrayList<>();
        request.headers().map().forEach((name, values) -> {
            String n = name.toLowerCase(java.util.Locale.ROOT);
            if (n.equals("authorization") || n.contains("key")) {
                values.forEach(v -> credentials.add(v.startsWith("Bearer ") ? v.substring(7) : v));
            }
        });
        String message = Redactor.redactAll(e.message(), credentials);
        return new BatchApiException(
                provider + " " + what, status, new ProviderError(e.type(), e.code(), message, e.retryAfter()));
    }

    @Override
    public void close() {
        client.close();
    }
}
