package dev.relay.processor.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChunkFactory;
import dev.relay.processor.provider.mapping.Json;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.Job;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.StreamChunkKind;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The processor's half of the failover contract, on one call's chunks. */
class StreamTapTest {

    private static final long WINDOW = 5_000_000;
    private final List<StreamChunk> written = new ArrayList<>();
    private final List<Runnable> timers = new ArrayList<>();
    private long now = 1_000_000_000L;
    private final ChunkFactory f = new ChunkFactory("c1", "m", 1);

    private StreamTap tap(boolean buffered) {
        Job job = Job.newBuilder()
                .setJobId("job-1")
                .setSubmittedAt(Instant.EPOCH)
                .setRequest(ChatRequest.newBuilder().setMessages(List.of()).build())
                .setChain(List.of(new Target("p", "m")))
                .build();
        return new StreamTap(
                job,
                0,
                1,
                "call-1",
                "p",
                "m",
                buffered,
                WINDOW,
                written::add,
                (nanos, task) -> timers.add(task),
                () -> now);
    }

    private static AttemptOutcome.Success success() {
        return new AttemptOutcome.Success(Json.object(), 200, AttemptOutcome.Usage.NONE);
    }

    private List<String> texts() {
        return written.stream()
                .filter(c -> c.getKind() == StreamChunkKind.DELTA)
                .map(c -> Json.parse(c.getChunkJson().getBytes())
                        .orElseThrow()
                        .at("/choices/0/delta/content")
                        .asText(""))
                .toList();
    }

    @Test
    void shouldWriteNothingOfACallThatFailsBeforeItsFirstToken() {
        StreamTap tap = tap(false);
        tap.chunk(f.role());

        tap.finish(AttemptOutcome.Failure.of(FailureClass.TRANSIENT, 200, "overloaded_error", null, "Overloaded"));

        assertThat(written).isEmpty();
    }

    @Test
    void shouldWriteTheFirstTokenAtOnceWithTheRoleChunkMergedIn() {
        StreamTap tap = tap(false);
        tap.chunk(f.role());
        tap.chunk(f.text("Hel"));

        assertThat(written).hasSize(1);
        ObjectNode first = (ObjectNode)
                Json.parse(written.get(0).getChunkJson().getBytes()).orElseThrow();
        assertThat(first.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(first.at("/choices/0/delta/content").asText()).isEqualTo("Hel");
    }

    @Test
    void shouldMergeTokensThatComeFasterThanTheWindowAndFlushWhenItPasses() {
        StreamTap tap = tap(false);
        tap.chunk(f.text("a"));
        now += 1_000_000;
        tap.chunk(f.text("b"));
        tap.chunk(f.text("c"));
        assertThat(texts()).containsExactly("a");

        now += WINDOW;
        timers.forEach(Runnable::run);
        now += WINDOW;
        tap.chunk(f.text("d")); // slower than the window: written at once

        assertThat(texts()).containsExactly("a", "bc", "d");
        assertThat(written).extracting(StreamChunk::getSeq).containsExactly(0, 1, 2);
    }

    @Test
    void shouldEndACleanCallWithEnd() {
        StreamTap tap = tap(false);
        tap.chunk(f.text("a"));
        tap.chunk(f.finish("stop"));
        tap.finish(success());

        assertThat(written.get(written.size() - 1).getKind()).isEqualTo(StreamChunkKind.END);
        assertThat(texts()).containsExactly("a", "");
    }

    @Test
    void shouldAbortACallThatFailsAfterContent() {
        StreamTap tap = tap(false);
        tap.chunk(f.text("a"));
        tap.finish(AttemptOutcome.Failure.of(FailureClass.TRUNCATED, 200, null, null, "cut"));

        StreamChunk last = written.get(written.size() - 1);
        assertThat(last.getKind()).isEqualTo(StreamChunkKind.ABORT);
        assertThat(last.getError().getOutcome().name()).isEqualTo("TRUNCATED");
    }

    @Test
    void shouldHoldEverythingInBufferedModeUntilTheCallEndsCleanly() {
        StreamTap cut = tap(true);
        cut.chunk(f.text("a"));
        cut.chunk(f.text("b"));
        cut.finish(AttemptOutcome.Failure.of(FailureClass.TRUNCATED, 200, null, null, "cut"));
        assertThat(written).isEmpty();

        StreamTap clean = tap(true);
        clean.chunk(f.role());
        clean.chunk(f.text("a"));
        clean.chunk(f.text("b"));
        clean.chunk(f.finish("stop"));
        clean.finish(success());

        assertThat(texts()).containsExactly("ab");
        assertThat(written)
                .extracting(StreamChunk::getKind)
                .containsExactly(StreamChunkKind.DELTA, StreamChunkKind.END);
    }

    @Test
    void shouldJoinToolCallArgumentPiecesWhenMerging() {
        ObjectNode merged = ChunkMerge.merge(f.toolCall(0, "call_1", "get", ""), f.toolCall(0, null, null, "{\"a\":"));
        merged = ChunkMerge.merge(merged, f.toolCall(0, null, null, "1}"));

        assertThat(merged.at("/choices/0/delta/tool_calls")).hasSize(1);
        assertThat(merged.at("/choices/0/delta/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"a\":1}");
        assertThat(ChunkMerge.merge(f.finish("stop"), f.text("x"))).isNull();
        assertThat(ChunkMerge.merge(f.text("x"), f.usage(1, 2))).isNull();
    }
}
