package dev.relay.processor.provider.batch;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The body of OpenAI's {@code POST /v1/files} for a batch input file: {@code multipart/form-data} with a
 * {@code purpose=batch} part and a {@code file} part holding the JSONL. The lines are written to a temporary file as
 * they are made, and the request streams that file, so the heap never holds the whole upload (50,000 lines of several
 * KB each). Close it once the request has been sent: the file is deleted.
 */
final class MultipartJsonl implements AutoCloseable {

    private final String boundary = "relay-" + UUID.randomUUID();
    private final String filename;
    private final Path file;
    private final OutputStream out;

    MultipartJsonl(String filename) throws IOException {
        this.filename = filename;
        this.file = Files.createTempFile("relay-batch-", ".jsonl");
        this.out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
    }

    /** Appends one line (a JSON object without line breaks) and its newline. */
    void line(byte[] json) throws IOException {
        out.write(json);
        out.write('\n');
    }

    String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** The whole multipart body: the lines written so far between the parts' heads and the closing boundary. */
    HttpRequest.BodyPublisher publisher() throws IOException {
        out.flush();
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        return HttpRequest.BodyPublishers.concat(
                HttpRequest.BodyPublishers.ofByteArray(head.getBytes(StandardCharsets.UTF_8)),
                HttpRequest.BodyPublishers.ofFile(file),
                HttpRequest.BodyPublishers.ofByteArray(tail.getBytes(StandardCharsets.UTF_8)));
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
