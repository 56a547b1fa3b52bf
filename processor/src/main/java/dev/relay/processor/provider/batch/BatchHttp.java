package dev.relay.processor.provider.batch;

import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.RelayVersion;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The HTTP side of the batch APIs: one JDK client per provider, and one place where a non-2xx answer becomes a
 * {@link BatchApiException} (the body parsed by the provider's {@link Dialect}, so its error type and code classify
 * as in real time). The key is only ever put in a header.
 */
final class BatchHttp implements AutoCloseable {

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
            throw new BatchApiException(
                    provider + " " + what, r.statusCode(), dialect.parseError(r.statusCode(), r.body()));
        }
        return r.body();
    }

    @Override
    public void close() {
        client.close();
    }
}
