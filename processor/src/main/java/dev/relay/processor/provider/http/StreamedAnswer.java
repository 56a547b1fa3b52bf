package dev.relay.processor.provider.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.AttemptOutcome.Failure;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChunkFactory;
import dev.relay.processor.provider.ChunkSink;
import dev.relay.processor.provider.ProviderError;
import dev.relay.processor.provider.stream.Decoded;
import dev.relay.processor.provider.stream.SseEvent;
import dev.relay.processor.provider.stream.SseParser;
import dev.relay.processor.provider.stream.StreamAssembler;
import dev.relay.processor.provider.stream.StreamDecoder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads one streamed 2xx answer line by line (blocking, on its own virtual thread), decodes its events, hands the
 * chunks to the sink and returns the attempt's outcome:
 * <ul>
 *   <li>the provider's end event, or the body's end after a finish reason: the assembled completion (a stream without
 *       {@code [DONE]} but with a finish reason is complete);</li>
 *   <li>an error event: classified like an HTTP answer with the status the error type goes with;</li>
 *   <li>the body's end or a cut without a finish reason: TRUNCATED;</li>
 *   <li>nothing for {@code idle}, no content token by {@code firstTokenBy}, or the call's deadline: TIMEOUT (a
 *       watchdog closes the body, which ends the read).</li>
 * </ul>
 * Events that are not valid JSON are skipped and counted in {@code malformed}.
 */
final class StreamedAnswer {

    private final StreamDecoder decoder;
    private final ChunkSink sink;
    private final StreamAssembler assembler = new StreamAssembler();
    private final String model;
    private final long idleNanos;
    /** System.nanoTime() by which a content token must have come; Long.MAX_VALUE when first_token_timeout is off. */
    private final long firstTokenBy;

    private final long deadline;
    private final AtomicLong malformed;
    private final String provider;

    private volatile InputStream body;
    private volatile Thread reader;
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean contentSeen;
    private volatile boolean done;
    private volatile String timedOut;

    StreamedAnswer(
            String provider,
            String model,
            StreamDecoder decoder,
            ChunkSink sink,
            long idleNanos,
            long firstTokenBy,
            long deadline,
            AtomicLong malformed) {
        this.provider = provider;
        this.model = model;
        this.decoder = decoder;
        this.sink = sink;
        this.idleNanos = idleNanos;
        this.firstTokenBy = firstTokenBy;
        this.deadline = deadline;
        this.malformed = malformed;
    }

    AttemptOutcome read(int status, InputStream in) {
        this.body = in;
        this.reader = Thread.currentThread();
        Thread watchdog = Thread.ofVirtual().name("relay-stream-watchdog").start(this::watch);
        SseParser parser = new SseParser();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lastActivity = System.nanoTime();
                SseEvent e = parser.line(line);
                AttemptOutcome end = e == null ? null : handle(status, e);
                if (end != null) {
                    return end;
                }
            }
            SseEvent last = parser.end();
            AttemptOutcome end = last == null ? null : handle(status, last);
            return end != null ? end : bodyEnded(status, null);
        } catch (IOException cut) {
            String why = timedOut;
            if (why != null) {
                return Failure.of(FailureClass.TIMEOUT, null, null, null, why);
            }
            return bodyEnded(status, cut);
        } finally {
            done = true;
            watchdog.interrupt();
            Thread.interrupted(); // an interrupt that ended the read must not outlive it on this thread
        }
    }

    /** Ends the read from another thread (the call was cancelled). */
    void abort() {
        done = true;
        closeBody();
    }

    private AttemptOutcome handle(int status, SseEvent event) {
        Decoded d = decoder.decode(event);
        return switch (d) {
            case Decoded.Chunks c -> {
                pass(c.chunks());
                yield null;
            }
            case Decoded.End end -> {
                pass(end.chunks());
                yield assembler.outcome(status, model);
            }
            case Decoded.Error err -> {
                ProviderError e = err.error();
                FailureClass cls = Classifier.classify(err.status(), e.type(), e.code(), e.message());
                String message = e.message() != null
                        ? e.message()
                        : "error event from " + provider + " after " + assembler.chunks() + " chunks";
                yield Failure.of(cls, status, e.type(), e.code(), message);
            }
            case Decoded.Malformed m -> {
                malformed.incrementAndGet();
                yield null;
            }
        };
    }

    private void pass(List<ObjectNode> chunks) {
        for (ObjectNode c : chunks) {
            assembler.add(c);
            if (!contentSeen && ChunkFactory.hasContent(c)) {
                contentSeen = true;
            }
            sink.chunk(c);
        }
    }

    /** The body ended (or was cut, {@code cut} non-null) without the provider's end event. */
    private AttemptOutcome bodyEnded(int status, IOException cut) {
        if (assembler.hasFinishReason()) {
            pass(decoder.finish());
            return assembler.outcome(status, model);
        }
        String how = cut == null ? "ended" : "was cut (" + cut.getClass().getSimpleName() + ")";
        return Failure.of(
                FailureClass.TRUNCATED,
                status,
                null,
                null,
                "the stream from " + provider + " " + how + " after " + assembler.chunks()
                        + " chunks without a finish reason");
    }

    private void watch() {
        while (!done) {
            long now = System.nanoTime();
            long idleAt = lastActivity + idleNanos;
            long next = Math.min(idleAt, deadline);
            if (!contentSeen) {
                next = Math.min(next, firstTokenBy);
            }
            if (now >= next) {
                if (now >= deadline) {
                    timedOut = "the call's deadline passed while " + provider + " was still streaming";
                } else if (!contentSeen && now >= firstTokenBy) {
                    timedOut = "no first token from " + provider + " within first_token_timeout";
                } else {
                    timedOut = "the stream from " + provider + " sent nothing for "
                            + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms (stream_idle_timeout)";
                }
                closeBody();
                return;
            }
            LockSupport.parkNanos(Math.min(next - now, TimeUnit.SECONDS.toNanos(1)));
        }
    }

    /** Ends a blocked read: closes the body and interrupts the reader (the JDK's body stream waits interruptibly). */
    private void closeBody() {
        InputStream in = body;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing is how the read is ended; a failure to close ends nothing more
            }
        }
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            r.interrupt();
        }
    }
}
