package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A streamed answer in the request's dialect, written event by event the way each provider sends it: OpenAI's
 * {@code data: {chat.completion.chunk}} events (role chunk, one chunk per token, the finish chunk, the usage chunk,
 * {@code data: [DONE]}); Anthropic's named events ({@code message_start}, {@code content_block_start}, {@code ping},
 * {@code content_block_delta} per token, {@code content_block_stop}, {@code message_delta}, {@code message_stop});
 * Gemini's {@code data: GenerateContentResponse} per token with CRLF line ends and no end event. Faults are scripted
 * on top: a pace between tokens, a cut or a stall after n tokens, an error event after n tokens, a malformed event,
 * no end event.
 *
 * <pre>{@code
 * provider.enqueue(StreamReply.of("Hel", "lo").cutAfter(1).reply());   // one token, then the connection drops
 * provider.enqueue(StreamReply.of("a", "b").errorAfter(0, "overloaded_error").reply());
 * }</pre>
 */
public final class StreamReply {

    private final List<String> tokens;
    private final Duration pace;
    private final int cutAfter;
    private final int stallAfter;
    private final int errorAfter;
    private final String errorType;
    private final int malformedAfter;
    private final boolean withoutEnd;

    private StreamReply(
            List<String> tokens,
            Duration pace,
            int cutAfter,
            int stallAfter,
            int errorAfter,
            String errorType,
            int malformedAfter,
            boolean withoutEnd) {
        this.tokens = List.copyOf(tokens);
        this.pace = pace;
        this.cutAfter = cutAfter;
        this.stallAfter = stallAfter;
        this.errorAfter = errorAfter;
        this.errorType = errorType;
        this.malformedAfter = malformedAfter;
        this.withoutEnd = withoutEnd;
    }

    /** A clean stream of {@code tokens}, one content event each. */
    public static StreamReply of(String... tokens) {
        return new StreamReply(Arrays.asList(tokens), Duration.ZERO, -1, -1, -1, null, -1, false);
    }

    /** {@code text} split into words (each with its following space) as the tokens. */
    public static StreamReply text(String text) {
        List<String> t = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int j = text.indexOf(' ', i);
            j = j < 0 ? text.length() : j + 1;
            t.add(text.substring(i, j));
            i = j;
        }
        return new StreamReply(t, Duration.ZERO, -1, -1, -1, null, -1, false);
    }

    /** Waits {@code pace} before each token. */
    public StreamReply pace(Duration newPace) {
        return new StreamReply(
                tokens, newPace, cutAfter, stallAfter, errorAfter, errorType, malformedAfter, withoutEnd);
    }

    /** Closes the connection after {@code n} tokens (no finish reason, no end event). */
    public StreamReply cutAfter(int n) {
        return new StreamReply(tokens, pace, n, stallAfter, errorAfter, errorType, malformedAfter, withoutEnd);
    }

    /** Sends nothing more after {@code n} tokens, holding the connection until the client gives up. */
    public StreamReply stallAfter(int n) {
        return new StreamReply(tokens, pace, cutAfter, n, errorAfter, errorType, malformedAfter, withoutEnd);
    }

    /**
     * Sends the dialect's error event after {@code n} tokens (0: right after the stream opened): Anthropic's
     * {@code event: error} with {@code type}, OpenAI's {@code data: {"error": ...}} with {@code type} as type and
     * code, Gemini's {@code {"error": {code, status: type}}}.
     */
    public StreamReply errorAfter(int n, String type) {
        return new StreamReply(tokens, pace, cutAfter, stallAfter, n, type, malformedAfter, withoutEnd);
    }

    /** Sends an event whose data is not JSON after {@code n} tokens. */
    public StreamReply malformedAfter(int n) {
        return new StreamReply(tokens, pace, cutAfter, stallAfter, errorAfter, errorType, n, withoutEnd);
    }

    /** Leaves out the end event (OpenAI's {@code [DONE]}, Anthropic's {@code message_stop}); the body just ends. */
    public StreamReply withoutEnd() {
        return new StreamReply(tokens, pace, cutAfter, stallAfter, errorAfter, errorType, malformedAfter, true);
    }

    /** As a {@link Reply}, to enqueue or script. */
    public Reply reply() {
        return Reply.respond(this::write);
    }

    public List<String> tokens() {
        return tokens;
    }

    void write(Request request, Exchange exchange) throws IOException, InterruptedException {
        OutputStream out = exchange.startEventStream(200);
        Writer w = switch (request.dialect()) {
            case OPENAI, AZURE -> new OpenAi(out, request.model());
            case ANTHROPIC -> new Anthropic(out, request.model());
            case GEMINI -> new Gemini(out, request.model());
        };
        w.open();
        for (int i = 0; i <= tokens.size(); i++) {
            if (i == errorAfter) {
                w.error(errorType);
                out.close();
                return;
            }
            if (i == malformedAfter) {
                w.raw("data: {\"choices\": [{\"delta\": {\"content\": \"unterminated\n\n");
            }
            if (i == cutAfter) {
                exchange.cut();
                return;
            }
            if (i == stallAfter) {
                Thread.sleep(Duration.ofMinutes(5));
                exchange.cut();
                return;
            }
            if (i == tokens.size()) {
                break;
            }
            if (!pace.isZero()) {
                Thread.sleep(pace);
            }
            w.token(i, tokens.get(i));
        }
        w.finish(tokens.size(), withoutEnd);
        out.close();
    }

    /** One dialect's events. */
    private abstract static class Writer {
        final OutputStream out;
        final String model;

        Writer(OutputStream out, String model) {
            this.out = out;
            this.model = model;
        }

        abstract void open() throws IOException;

        abstract void token(int index, String text) throws IOException;

        abstract void finish(int tokens, boolean withoutEnd) throws IOException;

        abstract void error(String type) throws IOException;

        void raw(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void data(ObjectNode n) throws IOException {
            raw("data: " + n + "\n\n");
        }

        void event(String name, ObjectNode n) throws IOException {
            raw("event: " + name + "\ndata: " + n + "\n\n");
        }
    }

    private static final class OpenAi extends Writer {
        OpenAi(OutputStream out, String model) {
            super(out, model);
        }

        private ObjectNode chunk() {
            ObjectNode c = Dialect.JSON.createObjectNode();
            c.put("id", "chatcmpl-fake")
                    .put("object", "chat.completion.chunk")
                    .put("created", 1_700_000_000L)
                    .put("model", model)
                    .put("system_fingerprint", "fp_fake");
            return c;
        }

        private ObjectNode choice(ObjectNode c) {
            ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            c.putNull("usage");
            return choice;
        }

        @Override
        void open() throws IOException {
            ObjectNode c = chunk();
            choice(c)
                    .putObject("delta")
                    .put("role", "assistant")
                    .put("content", "")
                    .putNull("refusal");
            data(c);
        }

        @Override
        void token(int index, String text) throws IOException {
            ObjectNode c = chunk();
            choice(c).putObject("delta").put("content", text);
            data(c);
        }

        @Override
        void finish(int tokens, boolean withoutEnd) throws IOException {
            ObjectNode c = chunk();
            ObjectNode choice = choice(c);
            choice.putObject("delta");
            choice.put("finish_reason", "stop");
            data(c);
            ObjectNode u = chunk();
            u.putArray("choices");
            u.putObject("usage")
                    .put("prompt_tokens", 5)
                    .put("completion_tokens", tokens)
                    .put("total_tokens", 5 + tokens);
            data(u);
            if (!withoutEnd) {
                raw("data: [DONE]\n\n");
            }
        }

        @Override
        void error(String type) throws IOException {
            ObjectNode e = Dialect.JSON.createObjectNode();
            e.putObject("error")
                    .put("message", "fake in-stream " + type)
                    .put("type", type)
                    .putNull("param")
                    .put("code", type);
            data(e);
        }
    }

    private static final class Anthropic extends Writer {
        Anthropic(OutputStream out, String model) {
            super(out, model);
        }

        @Override
        void open() throws IOException {
            ObjectNode start = Dialect.JSON.createObjectNode().put("type", "message_start");
            ObjectNode m = start.putObject("message")
                    .put("id", "msg_fake")
                    .put("type", "message")
                    .put("role", "assistant")
                    .put("model", model);
            m.putArray("content");
            m.putNull("stop_reason").putNull("stop_sequence");
            m.putObject("usage").put("input_tokens", 5).put("output_tokens", 1);
            event("message_start", start);
            ObjectNode block = Dialect.JSON
                    .createObjectNode()
                    .put("type", "content_block_start")
                    .put("index", 0);
            block.putObject("content_block").put("type", "text").put("text", "");
            event("content_block_start", block);
            event("ping", Dialect.JSON.createObjectNode().put("type", "ping"));
        }

        @Override
        void token(int index, String text) throws IOException {
            ObjectNode d = Dialect.JSON
                    .createObjectNode()
                    .put("type", "content_block_delta")
                    .put("index", 0);
            d.putObject("delta").put("type", "text_delta").put("text", text);
            event("content_block_delta", d);
        }

        @Override
        void finish(int tokens, boolean withoutEnd) throws IOException {
            event(
                    "content_block_stop",
                    Dialect.JSON
                            .createObjectNode()
                            .put("type", "content_block_stop")
                            .put("index", 0));
            ObjectNode md = Dialect.JSON.createObjectNode().put("type", "message_delta");
            md.putObject("delta").put("stop_reason", "end_turn").putNull("stop_sequence");
            md.putObject("usage").put("output_tokens", tokens);
            event("message_delta", md);
            if (!withoutEnd) {
                event("message_stop", Dialect.JSON.createObjectNode().put("type", "message_stop"));
            }
        }

        @Override
        void error(String type) throws IOException {
            ObjectNode e = Dialect.JSON.createObjectNode().put("type", "error");
            e.putObject("error").put("type", type).put("message", "fake in-stream " + type);
            event("error", e);
        }
    }

    private static final class Gemini extends Writer {
        Gemini(OutputStream out, String model) {
            super(out, model);
        }

        private ObjectNode response(String text, String finish, int tokens) {
            ObjectNode r = Dialect.JSON.createObjectNode();
            ObjectNode cand = r.putArray("candidates").addObject();
            ObjectNode content = cand.putObject("content");
            ArrayNode parts = content.putArray("parts");
            parts.addObject().put("text", text);
            content.put("role", "model");
            if (finish != null) {
                cand.put("finishReason", finish);
            }
            cand.put("index", 0);
            ObjectNode u = r.putObject("usageMetadata").put("promptTokenCount", 5);
            if (tokens > 0) {
                u.put("candidatesTokenCount", tokens);
            }
            u.put("totalTokenCount", 5 + tokens);
            r.put("modelVersion", model).put("responseId", "fake");
            return r;
        }

        @Override
        void data(ObjectNode n) throws IOException {
            raw("data: " + n + "\r\n\r\n");
        }

        @Override
        void open() {}

        @Override
        void token(int index, String text) throws IOException {
            data(response(text, null, index + 1));
        }

        @Override
        void finish(int tokens, boolean withoutEnd) throws IOException {
            data(response("", "STOP", tokens));
        }

        @Override
        void error(String type) throws IOException {
            ObjectNode e = Dialect.JSON.createObjectNode();
            e.putObject("error")
                    .put("code", 503)
                    .put("message", "fake in-stream " + type)
                    .put("status", type);
            data(e);
        }
    }
}
