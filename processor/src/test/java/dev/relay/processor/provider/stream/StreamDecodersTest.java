package dev.relay.processor.provider.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChunkFactory;
import dev.relay.processor.provider.anthropic.AnthropicStreamDecoder;
import dev.relay.processor.provider.gemini.GeminiStreamDecoder;
import dev.relay.processor.provider.openai.OpenAiStreamDecoder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each dialect's decoder on recorded wire samples ({@code src/test/resources/streams/}). */
class StreamDecodersTest {

    /** What a whole body decodes to. */
    record Run(List<ObjectNode> chunks, boolean ended, Decoded.Error error, int malformed, StreamAssembler assembler) {
        AttemptOutcome outcome() {
            return error != null ? null : assembler.outcome(200, "m");
        }

        JsonNode completion() {
            return ((AttemptOutcome.Success) outcome()).completion();
        }
    }

    static Run run(StreamDecoder decoder, String body) throws IOException {
        SseParser parser = new SseParser();
        List<ObjectNode> chunks = new ArrayList<>();
        StreamAssembler assembler = new StreamAssembler();
        int malformed = 0;
        BufferedReader r = new BufferedReader(new StringReader(body));
        List<SseEvent> events = new ArrayList<>();
        for (String line; (line = r.readLine()) != null; ) {
            SseEvent e = parser.line(line);
            if (e != null) {
                events.add(e);
            }
        }
        SseEvent last = parser.end();
        if (last != null) {
            events.add(last);
        }
        for (SseEvent e : events) {
            Decoded d = decoder.decode(e);
            switch (d) {
                case Decoded.Chunks c ->
                    c.chunks().forEach(ch -> {
                        chunks.add(ch);
                        assembler.add(ch);
                    });
                case Decoded.End end -> {
                    end.chunks().forEach(ch -> {
                        chunks.add(ch);
                        assembler.add(ch);
                    });
                    return new Run(chunks, true, null, malformed, assembler);
                }
                case Decoded.Error err -> {
                    return new Run(chunks, false, err, malformed, assembler);
                }
                case Decoded.Malformed m -> malformed++;
            }
        }
        decoder.finish().forEach(ch -> {
            chunks.add(ch);
            assembler.add(ch);
        });
        return new Run(chunks, false, null, malformed, assembler);
    }

    static String sample(String name) throws IOException {
        try (InputStream in = StreamDecodersTest.class.getResourceAsStream("/streams/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void shouldPassOpenAiChunksThroughAndAssembleTheCompletion() throws IOException {
        Run run = run(new OpenAiStreamDecoder(), sample("openai-text.sse"));

        assertThat(run.ended()).isTrue();
        assertThat(run.chunks()).hasSize(5);
        assertThat(run.chunks().get(1).at("/choices/0/delta/content").asText()).isEqualTo("Hello");
        assertThat(run.completion().at("/choices/0/message/content").asText()).isEqualTo("Hello! How can I help?");
        assertThat(run.completion().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(run.completion().at("/usage/total_tokens").asInt()).isEqualTo(29);
        assertThat(run.completion().at("/id").asText()).isEqualTo("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    }

    @Test
    void shouldAssembleOpenAiToolCallArgumentsFromTheirPieces() throws IOException {
        Run run = run(new OpenAiStreamDecoder(), sample("openai-tools.sse"));

        JsonNode call = run.completion().at("/choices/0/message/tool_calls/0");
        assertThat(call.at("/id").asText()).isEqualTo("call_DdmO9pD3xa9XTPNJ32zg2hcA");
        assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(call.at("/function/arguments").asText()).isEqualTo("{\"location\":\"Paris, France\"}");
        assertThat(run.completion().at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(run.completion().at("/choices/0/message/content").isNull()).isTrue();
    }

    @Test
    void shouldSkipAndCountAMalformedEventAndGoOn() throws IOException {
        String body =
                sample("openai-text.sse").replaceFirst("\n\n", "\n\ndata: {\"id\":\"x\",\"choices\":[{\"delta\n\n");

        Run run = run(new OpenAiStreamDecoder(), body);

        assertThat(run.malformed()).isEqualTo(1);
        assertThat(run.completion().at("/choices/0/message/content").asText()).isEqualTo("Hello! How can I help?");
    }

    @Test
    void shouldFinishAStreamWithoutDoneThatHasAFinishReason() throws IOException {
        Run run = run(new OpenAiStreamDecoder(), sample("openai-text.sse").replace("data: [DONE]\n", ""));

        assertThat(run.ended()).isFalse();
        assertThat(run.outcome()).isInstanceOf(AttemptOutcome.Success.class);
        assertThat(run.completion().at("/usage/completion_tokens").asInt()).isEqualTo(10);
    }

    @Test
    void shouldCallAStreamCutBeforeItsFinishReasonTruncated() throws IOException {
        String body = sample("openai-text.sse");
        Run run = run(new OpenAiStreamDecoder(), body.substring(0, body.indexOf("\"finish_reason\":\"stop\"") - 200));

        assertThat(run.outcome())
                .isInstanceOfSatisfying(
                        AttemptOutcome.Failure.class,
                        f -> assertThat(f.failureClass()).isEqualTo(FailureClass.TRUNCATED));
    }

    @Test
    void shouldReadOpenAisInStreamQuotaErrorAsAnErrorEvent() throws IOException {
        String body =
                "data: {\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\","
                        + "\"param\":null,\"code\":\"insufficient_quota\"}}\n\n";

        Run run = run(new OpenAiStreamDecoder(), body);

        assertThat(run.error()).isNotNull();
        assertThat(run.error().error().code()).isEqualTo("insufficient_quota");
    }

    @Test
    void shouldTurnAnthropicEventsIntoOpenAiChunks() throws IOException {
        Run run = run(new AnthropicStreamDecoder("claude"), sample("anthropic-text.sse"));

        assertThat(run.ended()).isTrue();
        assertThat(run.chunks().get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(run.chunks().get(0).at("/id").asText()).isEqualTo("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
        assertThat(run.chunks())
                .allSatisfy(c -> assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk"));
        assertThat(run.completion().at("/choices/0/message/content").asText()).isEqualTo("Hello!");
        assertThat(run.completion().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(run.completion().at("/usage/prompt_tokens").asInt()).isEqualTo(25);
        assertThat(run.completion().at("/usage/completion_tokens").asInt()).isEqualTo(15);
        assertThat(run.completion().at("/model").asText()).isEqualTo("claude-3-5-sonnet-20241022");
    }

    @Test
    void shouldTurnAnthropicToolUseIntoAnOpenAiToolCall() throws IOException {
        Run run = run(new AnthropicStreamDecoder("claude"), sample("anthropic-tools.sse"));

        JsonNode msg = run.completion().at("/choices/0/message");
        assertThat(msg.at("/content").asText()).isEqualTo("Let me check.");
        assertThat(msg.at("/tool_calls/0/id").asText()).isEqualTo("toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assertThat(msg.at("/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(msg.at("/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"location\": \"San Francisco, CA\"}");
        assertThat(run.completion().at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void shouldClassifyAnAnthropicErrorEventLikeA529() throws IOException {
        Run run = run(new AnthropicStreamDecoder("claude"), sample("anthropic-overloaded.sse"));

        assertThat(run.error().status()).isEqualTo(529);
        assertThat(run.error().error().type()).isEqualTo("overloaded_error");
        assertThat(run.chunks()).noneMatch(ChunkFactory::hasContent);
    }

    @Test
    void shouldFinishAnAnthropicStreamCutAfterItsMessageDelta() throws IOException {
        String body = sample("anthropic-text.sse");
        Run run = run(new AnthropicStreamDecoder("claude"), body.substring(0, body.indexOf("event: message_stop")));

        assertThat(run.ended()).isFalse();
        assertThat(run.completion().at("/usage/completion_tokens").asInt()).isEqualTo(15);
    }

    @Test
    void shouldTurnGeminiResponsesIntoChunksAndEmitUsageAtTheEnd() throws IOException {
        Run run = run(new GeminiStreamDecoder("gemini-2.0-flash"), sample("gemini-text.sse"));

        assertThat(run.completion().at("/choices/0/message/content").asText()).isEqualTo("Hello there, how are you?");
        assertThat(run.completion().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(run.completion().at("/usage/prompt_tokens").asInt()).isEqualTo(5);
        assertThat(run.completion().at("/usage/completion_tokens").asInt()).isEqualTo(7);
        assertThat(run.chunks().get(run.chunks().size() - 1).get("choices")).isEmpty();
    }

    @Test
    void shouldTurnAGeminiFunctionCallIntoAToolCall() throws IOException {
        Run run = run(new GeminiStreamDecoder("g"), sample("gemini-tools.sse"));

        JsonNode call = run.completion().at("/choices/0/message/tool_calls/0");
        assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(call.at("/function/arguments").asText()).isEqualTo("{\"location\":\"Paris\"}");
        assertThat(run.completion().at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void shouldReadAGeminiErrorObjectAsAnErrorEvent() throws IOException {
        Run run = run(
                new GeminiStreamDecoder("g"),
                "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n");

        assertThat(run.error().status()).isEqualTo(503);
        assertThat(run.error().error().type()).isEqualTo("UNAVAILABLE");
    }

    @Test
    void shouldParseSseCommentsMultiLineDataAndCrLf() {
        SseParser p = new SseParser();
        assertThat(p.line(": OPENROUTER PROCESSING")).isNull();
        assertThat(p.line("event: x")).isNull();
        assertThat(p.line("data: a")).isNull();
        assertThat(p.line("data:b")).isNull();
        assertThat(p.line("")).isEqualTo(new SseEvent("x", "a\nb"));
        assertThat(p.line("")).isNull();
    }
}
