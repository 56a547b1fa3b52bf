package dev.relay.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.ingress.kafka.ChunkRecord;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.StreamChunkKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a caller's stream shows of a job's chunk records, for each way of holding calls back. */
class CallerStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private long offset;

    private ChunkRecord delta(String call, int attempt, String text) {
        String json = "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text
                + "\"}}]}";
        return record(call, attempt, StreamChunkKind.DELTA, json, null);
    }

    private ChunkRecord end(String call, int attempt) {
        return record(call, attempt, StreamChunkKind.END, null, null);
    }

    private ChunkRecord abort(String call, int attempt) {
        ErrorInfo e = ErrorInfo.newBuilder()
                .setHttpStatus(502)
                .setMessage("cut")
                .setOutcome(OutcomeClass.TRUNCATED)
                .build();
        return record(call, attempt, StreamChunkKind.ABORT, null, e);
    }

    private ChunkRecord record(String call, int attempt, StreamChunkKind kind, String json, ErrorInfo error) {
        return new ChunkRecord(
                offset++,
                StreamChunk.newBuilder()
                        .setJobId("job_1")
                        .setGeneration(0)
                        .setHop(0)
                        .setAttempt(attempt)
                        .setCallId(call)
                        .setSeq(0)
                        .setKind(kind)
                        .setChunkJson(json)
                        .setProvider("openai")
                        .setModel("gpt-4o-mini")
                        .setError(error)
                        .setCreatedAt(Instant.EPOCH)
                        .build());
    }

    private static CallerStream stream(CallerStream.Hold hold) {
        return new CallerStream("job_1", false, 1 << 20, JSON, hold);
    }

    /** The text shown, then "[DONE]" or "ERROR:<code>" for the end. */
    private static List<String> shown(CallerStream s, List<ChunkRecord> records) {
        List<String> out = new ArrayList<>();
        for (ChunkRecord r : records) {
            render(s.on(r), out);
        }
        return out;
    }

    private static void render(List<CallerStream.Out> outs, List<String> into) {
        for (CallerStream.Out o : outs) {
            try {
                switch (o) {
                    case CallerStream.Out.Event e ->
                        into.add(JSON.readTree(e.json())
                                .at("/choices/0/delta/content")
                                .asText());
                    case CallerStream.Out.Done d -> into.add("[DONE]");
                    case CallerStream.Out.Error e ->
                        into.add("ERROR:"
                                + JSON.readTree(e.json()).at("/error/code").asText());
                }
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void shouldInterruptALiveStreamWhenTheCallIsIssuedAgainUnderANewAttempt() {
        var records = List.of(delta("c1", 1, "one "), delta("c1", 1, "two "), delta("c2", 2, "all"), end("c2", 2));

        assertThat(shown(stream(CallerStream.Hold.NONE), records))
                .containsExactly("one ", "two ", "ERROR:stream_interrupted");
    }

    @Test
    void shouldShowABufferedCallerOnlyTheCallThatEndedCleanly() {
        // the first call's answer was being written when its processor died: part of it, no END
        var records =
                List.of(delta("c1", 1, "one "), delta("c2", 2, "the whole "), delta("c2", 2, "answer"), end("c2", 2));

        assertThat(shown(stream(CallerStream.Hold.UNTIL_END), records))
                .containsExactly("the whole ", "answer", "[DONE]");
    }

    @Test
    void shouldNotReplayAbortedOrSupersededCallsToALateAttacher() {
        CallerStream s = stream(CallerStream.Hold.UNTIL_CAUGHT_UP);
        List<String> out = new ArrayList<>();
        // the job so far: a call cut after content (ABORT), a call lost to a crash (superseded), the fallback's start
        for (ChunkRecord r : List.of(
                delta("c1", 1, "cut "),
                abort("c1", 1),
                delta("c2", 1, "lost "),
                delta("c3", 2, "the "),
                delta("c3", 2, "whole "))) {
            render(s.on(r), out);
        }
        assertThat(out).isEmpty();
        assertThat(s.waitingForCatchUp()).isTrue();

        render(s.caughtUp(), out); // live from here on
        render(s.on(delta("c3", 2, "answer")), out);
        render(s.on(end("c3", 2)), out);

        assertThat(out).containsExactly("the ", "whole ", "answer", "[DONE]");
        assertThat(s.waitingForCatchUp()).isFalse();
    }

    @Test
    void shouldInterruptALateAttacherWhenTheCallItWasShownIsCutAfterItCaughtUp() {
        CallerStream s = stream(CallerStream.Hold.UNTIL_CAUGHT_UP);
        List<String> out = new ArrayList<>();
        render(s.on(delta("c1", 1, "one ")), out);
        render(s.caughtUp(), out);
        render(s.on(abort("c1", 1)), out);

        assertThat(out).containsExactly("one ", "ERROR:stream_interrupted");
    }

    @Test
    void shouldResumeALateAttacherOnTheCallItWasShown() {
        // a late attacher was shown c2 (c1 was aborted unseen) and resumes after c2's first event
        ChunkRecord a = delta("c1", 1, "cut ");
        ChunkRecord b = abort("c1", 1);
        ChunkRecord c = delta("c2", 1, "whole ");
        CallerStream s = stream(CallerStream.Hold.NONE);
        for (ChunkRecord r : List.of(a, b, c)) {
            s.seen(r);
        }

        assertThat(shown(s, List.of(delta("c2", 1, "answer"), end("c2", 1)))).containsExactly("answer", "[DONE]");
    }
}
