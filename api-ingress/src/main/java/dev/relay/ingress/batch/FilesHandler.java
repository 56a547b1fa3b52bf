package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import dev.relay.ingress.http.Auth;
import dev.relay.ingress.http.BodyReader;
import dev.relay.ingress.http.Responses;
import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.FileContents;
import io.javalin.http.Context;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * {@code /v1/files}: OpenAI's Files API for batch input. An upload ({@code multipart/form-data}, {@code purpose=batch})
 * is spooled to disk by Jetty's parser ({@link MultipartUpload}), checked line by line (JSON objects, at most {@link #MAX_LINES} lines and
 * {@link #MAX_BYTES} bytes), then copied to the files topic; the catalog keeps OpenAI's file object and where the
 * bytes are. Output and error files of batches are derived from results (see {@link Batches}).
 */
public final class FilesHandler {

    /** OpenAI's limits for a batch input file. */
    public static final int MAX_LINES = BatchParser.MAX_LINES;

    public static final long MAX_BYTES = 200L * 1024 * 1024;

    private final Catalog catalog;
    private final FileContents files;
    private final Batches batches;
    private final BodyReader bodies;
    private final ObjectMapper json;
    private final Clock clock;
    private final int maxLineBytes;

    public FilesHandler(
            Catalog catalog, FileContents files, Batches batches, BodyReader bodies, ObjectMapper json, Clock clock) {
        this.catalog = catalog;
        this.files = files;
        this.batches = batches;
        this.bodies = bodies;
        this.json = json;
        this.clock = clock;
        // a line is one request: the request body limit, plus room for custom_id, method and url
        this.maxLineBytes = (int) Math.min(Integer.MAX_VALUE - 8, bodies.maxBytes() + 64 * 1024);
    }

    public void upload(Context ctx) {
        String type = ctx.header("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new ApiException(
                    415,
                    "invalid_request_error",
                    null,
                    "unsupported_media_type",
                    "POST /v1/files takes multipart/form-data with the fields 'file' and 'purpose'; got "
                            + (type == null ? "none" : "'" + type + "'"));
        }
        try (MultipartUpload upload = new MultipartUpload(bodyOf(ctx), type, MAX_BYTES + 1)) {
            store(ctx, upload);
        }
    }

    private static InputStream bodyOf(Context ctx) {
        try {
            return ctx.req().getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload", e);
        }
    }

    private void store(Context ctx, MultipartUpload upload) {
        Part file;
        String purpose;
        try {
            purpose = upload.text("purpose", 64);
            file = upload.part("file"); // with or without a filename (the SDKs send bytes without one)
        } catch (ApiException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw tooLargeOrUnreadable(e);
        }
        if (purpose == null) {
            throw ApiException.invalid("purpose", "missing_required_parameter", "'purpose' is required");
        }
        if (!"batch".equals(purpose)) {
            throw ApiException.invalid(
                    "purpose",
                    "unsupported_value",
                    "Relay stores files for the Batch API only: purpose must be 'batch'; got '" + purpose + "'");
        }
        if (file == null) {
            throw ApiException.invalid("file", "missing_required_parameter", "'file' is required (a JSONL file)");
        }
        if (file.getSize() > MAX_BYTES) {
            throw tooLarge();
        }
        int lines = check(file);
        String id = "file-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        FileContents.Location location;
        try (InputStream in = file.getInputStream()) {
            location = files.write(id, in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the spooled upload", e);
        }
        ObjectNode record = json.createObjectNode();
        record.put("id", id);
        record.put("object", "file");
        record.put("bytes", file.getSize());
        record.put("created_at", clock.millis() / 1000);
        record.putNull("expires_at");
        record.put("filename", file.getSubmittedFileName() == null ? "upload.jsonl" : file.getSubmittedFileName());
        record.put("purpose", purpose);
        record.put("status", "processed");
        record.putNull("status_details");
        ObjectNode relay = record.putObject("relay");
        relay.put("tenant", Auth.tenant(ctx));
        relay.put("lines", lines);
        relay.putObject("location")
                .put("partition", location.partition())
                .put("offset", location.firstOffset())
                .put("chunks", location.chunks());
        catalog.put(id, record);
        Responses.json(ctx, 200, visible(record), json);
    }

    /** Every line a JSON object, within the limits; returns the number of non-blank lines. */
    private int check(Part file) {
        int count = 0;
        try (InputStream in = file.getInputStream()) {
            JsonlLines lines = new JsonlLines(in, maxLineBytes);
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (line.isBlank()) {
                    continue;
                }
                if (++count > MAX_LINES) {
                    throw new ApiException(
                            400,
                            "invalid_request_error",
                            "file",
                            "too_many_lines",
                            "a batch input file has at most " + MAX_LINES + " lines");
                }
                String where = "lines[" + lines.index() + "]";
                JsonNode n;
                try {
                    n = bodies.parse(line, where);
                } catch (ApiException e) {
                    throw new ApiException(
                            400,
                            "invalid_request_error",
                            where,
                            "invalid_jsonl",
                            "the file is not JSONL: " + e.getMessage());
                }
                if (!n.isObject()) {
                    throw new ApiException(
                            400,
                            "invalid_request_error",
                            where,
                            "invalid_jsonl",
                            "the file is not JSONL: " + where + " is not a JSON object");
                }
            }
            if (lines.bytesRead() > MAX_BYTES) {
                throw tooLarge();
            }
        } catch (IOException e) {
            throw ApiException.invalid("file", "unreadable_body", "the upload could not be read: " + e.getMessage());
        }
        if (count == 0) {
            throw ApiException.invalid("file", "empty_file", "the file has no lines");
        }
        return count;
    }

    private static ApiException tooLarge() {
        return new ApiException(
                413,
                "invalid_request_error",
                "file",
                "file_too_large",
                "a batch input file is at most " + MAX_BYTES + " bytes (200 MB)");
    }

    private static ApiException tooLargeOrUnreadable(Exception e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
            m += " " + String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        }
        if (m.contains("max") || m.contains("size") || m.contains("too large")) {
            return tooLarge();
        }
        return ApiException.invalid(
                "file", "invalid_multipart", "the multipart body could not be read: " + e.getMessage());
    }

    public void get(Context ctx) {
        Responses.json(ctx, 200, fileObject(ctx.pathParam("id"), Auth.tenant(ctx)), json);
    }

    private ObjectNode fileObject(String id, String tenant) {
        var derived = Batches.derived(id);
        if (derived.isPresent()) {
            ObjectNode record = batches.known(derived.get().batchId(), tenant);
            return batches.derivedFile(id, record, derived.get().errors());
        }
        return visible(stored(id, tenant));
    }

    public void content(Context ctx) {
        String id = ctx.pathParam("id");
        String tenant = Auth.tenant(ctx);
        var derived = Batches.derived(id);
        InputStream body;
        if (derived.isPresent()) {
            ObjectNode record = batches.known(derived.get().batchId(), tenant);
            body = new LinesStream(batches.lines(record, derived.get().errors()));
        } else {
            ObjectNode record = stored(id, tenant);
            body = files.open(id, location(record));
        }
        ctx.status(200).contentType("application/jsonl").result(body);
    }

    public void list(Context ctx) {
        String tenant = Auth.tenant(ctx);
        String purpose = ctx.queryParam("purpose");
        List<ObjectNode> all = new ArrayList<>(catalog.list("file").stream()
                .filter(r -> Objects.equals(Batches.textOrNull(r.path("relay").get("tenant")), tenant))
                .filter(r -> purpose == null || purpose.equals(r.path("purpose").asText()))
                .toList());
        if ("asc".equals(ctx.queryParam("order"))) {
            java.util.Collections.reverse(all);
        }
        int limit = ListPage.limit(ctx.queryParam("limit"), 10_000, 10_000);
        Responses.json(ctx, 200, ListPage.of(all, ctx.queryParam("after"), limit, FilesHandler::visible), json);
    }

    public void delete(Context ctx) {
        String id = ctx.pathParam("id");
        if (Batches.derived(id).isPresent()) {
            throw ApiException.invalid(
                    "file_id",
                    "invalid_value",
                    "batch output and error files are derived from the results and cannot be deleted");
        }
        ObjectNode record = stored(id, Auth.tenant(ctx));
        files.delete(id, location(record));
        catalog.remove(id);
        Responses.json(
                ctx,
                200,
                json.createObjectNode().put("id", id).put("object", "file").put("deleted", true),
                json);
    }

    private ObjectNode stored(String id, String tenant) {
        return catalog.get(id)
                .filter(f -> "file".equals(f.path("object").asText()))
                .filter(f -> Objects.equals(Batches.textOrNull(f.path("relay").get("tenant")), tenant))
                .orElseThrow(() -> new ApiException(
                        404, "invalid_request_error", "file_id", "file_not_found", "No such File object: " + id));
    }

    static FileContents.Location location(ObjectNode record) {
        JsonNode l = record.path("relay").path("location");
        return new FileContents.Location(
                l.path("partition").asInt(),
                l.path("offset").asLong(),
                l.path("chunks").asInt());
    }

    private static ObjectNode visible(ObjectNode record) {
        ObjectNode out = record.deepCopy();
        out.remove("relay");
        return out;
    }

    /** Lines rendered on demand, each followed by a newline. */
    private static final class LinesStream extends InputStream {
        private final Iterator<String> lines;
        private byte[] current = new byte[0];
        private int pos;

        LinesStream(Iterator<String> lines) {
            this.lines = lines;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (!lines.hasNext()) {
                    return -1;
                }
                current = (lines.next() + "\n").getBytes(StandardCharsets.UTF_8);
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
