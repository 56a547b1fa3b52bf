package dev.relay.processor.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A deterministic in-test provider: answers each call with what the test scripted, and records every call. */
final class ScriptedProvider implements ProviderClient {

    record Seen(String jobId, String model, String keyName, boolean hasKey) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String name;
    private final List<Seen> calls = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<AttemptOutcome>> pending = new CopyOnWriteArrayList<>();
    private volatile Function<ChatCall, CompletableFuture<AttemptOutcome>> behaviour = c -> done(ok(c));

    ScriptedProvider(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** Answers every call with {@code answer} (computed per call). */
    void answer(Function<ChatCall, AttemptOutcome> answer) {
        behaviour = c -> done(answer.apply(c));
    }

    /** Never answers: the calls stay in flight until cancelled. */
    void hang() {
        behaviour = c -> {
            CompletableFuture<AttemptOutcome> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        };
    }

    /** Throws {@code bug} from {@code call} itself, as an adapter whose request mapping has a bug would. */
    void throwing(RuntimeException bug) {
        behaviour = c -> {
            throw bug;
        };
    }

    /** Completes every call exceptionally with {@code bug}, as an adapter whose response mapping has a bug would. */
    void failing(RuntimeException bug) {
        behaviour = c -> CompletableFuture.failedFuture(bug);
    }

    List<Seen> calls() {
        return calls;
    }

    List<CompletableFuture<AttemptOutcome>> pending() {
        return pending;
    }

    @Override
    public CompletableFuture<AttemptOutcome> call(ChatCall call) {
        calls.add(
                new Seen(call.jobId(), call.model(), call.keyName(), call.key().isPresent()));
        return behaviour.apply(call);
    }

    private static CompletableFuture<AttemptOutcome> done(AttemptOutcome o) {
        return CompletableFuture.completedFuture(o);
    }

    static AttemptOutcome ok(ChatCall call) {
        ObjectNode completion = JSON.createObjectNode()
                .put("id", "chatcmpl-" + call.jobId())
                .put("object", "chat.completion")
                .put("model", call.model());
        completion
                .putArray("choices")
                .addObject()
                .put("index", 0)
                .put("finish_reason", "stop")
                .putObject("message")
                .put("role", "assistant")
                .put("content", "hello from " + call.model());
        return new AttemptOutcome.Success(completion, 200, new AttemptOutcome.Usage(3, 4, 7));
    }

    static AttemptOutcome fail(FailureClass c, Integer status, String type, String message) {
        return AttemptOutcome.Failure.of(c, status, type, null, message);
    }
}
