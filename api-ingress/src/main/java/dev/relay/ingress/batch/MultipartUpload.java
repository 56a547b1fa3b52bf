package dev.relay.ingress.batch;

import dev.relay.ingress.http.ApiException;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.MultiPartFormInputStream;

/**
 * A {@code multipart/form-data} body parsed by Jetty's parser straight from the request: every part, with or without a
 * filename, is spooled to disk above 1 MB. The servlet API's {@code getParts()} is not used because it turns a part
 * without a filename into a form parameter, read whole into the heap and capped at Jetty's form limit (200,000 bytes),
 * and the OpenAI SDKs send a file given as bytes without a filename. Closing deletes the spooled files.
 */
final class MultipartUpload implements AutoCloseable {

    private static final int IN_MEMORY_BYTES = 1024 * 1024;
    private static final int MAX_PARTS = 16;

    private final MultiPartFormInputStream parts;

    MultipartUpload(InputStream body, String contentType, long maxPartBytes) {
        File spool = new File(System.getProperty("java.io.tmpdir"));
        MultipartConfigElement config = new MultipartConfigElement(
                spool.getAbsolutePath(), maxPartBytes, maxPartBytes + IN_MEMORY_BYTES, IN_MEMORY_BYTES);
        this.parts = new MultiPartFormInputStream(body, contentType, config, spool, MAX_PARTS);
    }

    /** The named part, or null; parses the body on the first call. */
    Part part(String name) throws IOException {
        return parts.getPart(name);
    }

    /** A small text field (at most {@code maxBytes}), or null when absent. */
    String text(String name, int maxBytes) throws IOException {
        Part p = part(name);
        if (p == null) {
            return null;
        }
        if (p.getSize() > maxBytes) {
            throw ApiException.invalid(name, "invalid_value", "'" + name + "' is at most " + maxBytes + " bytes");
        }
        try (InputStream in = p.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        parts.deleteParts();
    }
}
