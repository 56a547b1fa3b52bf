package dev.relay.ingress.batch;

import dev.relay.ingress.http.ApiException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a JSONL stream one line at a time, holding one line (at most {@code maxLineBytes}) in the heap. Lines end with
 * LF or CRLF; every line must be valid UTF-8. Blank lines keep their index, so {@code lines[i]} in an error is the
 * caller's line {@code i} (0-based) of the file.
 */
public final class JsonlLines {

    private final InputStream in;
    private final int maxLineBytes;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int len;
    private int index = -1;
    private long bytes;
    private boolean eof;

    public JsonlLines(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line (without its line end), or null at the end of the stream. */
    public String next() throws IOException {
        if (eof) {
            return null;
        }
        line.reset();
        while (true) {
            if (pos == len) {
                len = in.read(buf);
                pos = 0;
                if (len <= 0) {
                    eof = true;
                    len = 0;
                    if (line.size() == 0) {
                        return null;
                    }
                    index++;
                    return decode();
                }
                bytes += len;
            }
            int start = pos;
            while (pos < len && buf[pos] != '\n') {
                pos++;
            }
            append(start, pos);
            if (pos < len) {
                pos++; // the '\n'
                index++;
                return decode();
            }
        }
    }

    private void append(int from, int to) {
        if (line.size() + (to - from) > maxLineBytes) {
            throw ApiException.invalid(
                    "lines[" + (index + 1) + "]",
                    "line_too_large",
                    "lines[" + (index + 1) + "] is longer than " + maxLineBytes + " bytes");
        }
        line.write(buf, from, to - from);
    }

    private String decode() {
        byte[] b = line.toByteArray();
        int n = b.length;
        if (n > 0 && b[n - 1] == '\r') {
            n--;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, 0, n))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(
                    "lines[" + index + "]", "invalid_encoding", "lines[" + index + "] is not valid UTF-8");
        }
    }

    /** The index of the line {@link #next()} returned last. */
    public int index() {
        return index;
    }

    /** Bytes read from the stream so far. */
    public long bytesRead() {
        return bytes;
    }
}
