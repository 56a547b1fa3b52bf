package dev.relay.bench.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.WireRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Request and response mapping per adapter for a 2 KB prompt: one OpenAI-shaped request to the provider's wire bytes
 * ({@link Dialect#toWire}) plus one provider answer back to an OpenAI {@code chat.completion}
 * ({@link Dialect#fromWire}). Target: at most 50 µs per pair. {@code main} runs it briefly and writes
 * {@code bench/reports/provider-mapping.md}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ProviderMappingBenchmark {

    static final String KEY = "sk-bench-0000000000000000";
    static final String ANSWER_TEXT = "Relay maps each provider's dialect to one OpenAI-shaped answer. ".repeat(8);

    @Param({"openai", "anthropic", "gemini", "azure", "openrouter", "openai-compatible"})
    public String type;

    Dialect dialect;
    ChatCall call;
    byte[] answer;

    @Setup
    public void setUp() throws IOException {
        String json = "{\"providers\": {\"p\": {\"type\": \"" + type + "\", \"network_config\": {\"base_url\": "
                + "\"https://example.invalid\"}, \"keys\": [{\"name\": \"k1\", \"value\": \"x\"}]}}}";
        ProviderConfig config = new ConfigLoader(n -> Optional.empty())
                .parse(json, "bench")
                .providers()
                .get("p");
        dialect = ProviderClients.dialect(config);
        call = new ChatCall(
                "job-bench",
                "model-x",
                request(),
                Optional.of(Secret.literal(KEY)),
                "k1",
                Instant.now().plusSeconds(60));
        answer = answer(type).getBytes(StandardCharsets.UTF_8);
        if (!(dialect.fromWire(answer, 200) instanceof AttemptOutcome.Success)) {
            throw new IllegalStateException("the " + type + " answer does not map to a success");
        }
    }

    /** A chat request whose messages hold about 2 KB of text. */
    static ObjectNode request() throws IOException {
        String prompt = "Summarise the following notes about durable LLM gateways on Kafka. ".repeat(29);
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("model", "ignored");
        r.putArray("messages")
                .add(new ObjectMapper()
                        .createObjectNode()
                        .put("role", "system")
                        .put("content", "You are a concise assistant."))
                .add(new ObjectMapper().createObjectNode().put("role", "user").put("content", prompt));
        r.put("temperature", 0.3).put("max_tokens", 512).put("top_p", 0.95);
        return r;
    }

    static String answer(String type) {
        String text = new ObjectMapper().getNodeFactory().textNode(ANSWER_TEXT).toString();
        return switch (type) {
            case "anthropic" ->
                "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\","
                        + "\"content\":[{\"type\":\"text\",\"text\":" + text + "}],\"stop_reason\":\"end_turn\","
                        + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":520,\"output_tokens\":110}}";
            case "gemini" ->
                "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":" + text + "}],\"role\":\"model\"},"
                        + "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":520,"
                        + "\"candidatesTokenCount\":110,\"totalTokenCount\":630},\"modelVersion\":\"gemini-2.0-flash\","
                        + "\"responseId\":\"r1\"}";
            default ->
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1741570283,\"model\":\"m\","
                        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + text + "},"
                        + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":520,"
                        + "\"completion_tokens\":110,\"total_tokens\":630}}";
        };
    }

    @Benchmark
    public void requestAndResponse(Blackhole bh) {
        WireRequest wire = dialect.toWire(call, KEY);
        bh.consume(wire.body());
        bh.consume(dialect.fromWire(answer, 200));
    }

    static final int CPU_ROUNDS = 50_000;

    /** CPU time of this thread per request+response pair, so waiting for a core on a loaded machine is not counted. */
    static double cpuMicrosPerPair(String type) throws IOException {
        ProviderMappingBenchmark b = new ProviderMappingBenchmark();
        b.type = type;
        b.setUp();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < CPU_ROUNDS; i++) {
            sink += b.dialect.toWire(b.call, KEY).body().length
                    + b.dialect.fromWire(b.answer, 200).hashCode();
        }
        long start = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < CPU_ROUNDS; i++) {
            sink += b.dialect.toWire(b.call, KEY).body().length
                    + b.dialect.fromWire(b.answer, 200).hashCode();
        }
        long nanos = mx.getCurrentThreadCpuTime() - start;
        if (sink == 42) {
            System.out.println("unlikely");
        }
        return nanos / 1000.0 / CPU_ROUNDS;
    }

    /** The machine is shared; the 1-minute load average says how much the figures can be trusted. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    public static void main(String[] args) throws RunnerException, IOException {
        Options options = new OptionsBuilder()
                .include(ProviderMappingBenchmark.class.getSimpleName())
                .forks(1)
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(1))
                .build();
        String loadBefore = loadAverage();
        Collection<RunResult> results = new Runner(options).run();
        StringBuilder md = new StringBuilder();
        md.append("# Provider mapping benchmark\n\n")
                .append(
                        "Request mapping (`Dialect.toWire`, OpenAI request with a 2 KB prompt to wire bytes) plus response ")
                .append("mapping (`Dialect.fromWire`, a ~0.5 KB provider answer to an OpenAI `chat.completion`), per ")
                .append("adapter. JMH average time, 1 fork, 3 x 1 s warm-up, 5 x 1 s measurement (brief run, shared ")
                .append("2-core machine). Target: at most 50 µs per pair.\n\n")
                .append("Run: ")
                .append(DateTimeFormatter.ISO_INSTANT.format(Instant.now().atOffset(ZoneOffset.UTC)))
                .append(", JVM ")
                .append(System.getProperty("java.version"))
                .append(", load average before/after: ")
                .append(loadBefore)
                .append(" / ")
                .append(loadAverage())
                .append("\n\n")
                .append("The JMH column is wall time and includes time the thread waited for a core on this shared ")
                .append("machine; the CPU column is the benchmark thread's own CPU time per pair (ThreadMXBean, ")
                .append(CPU_ROUNDS)
                .append(" pairs after ")
                .append(CPU_ROUNDS)
                .append(" warm-up pairs, same JVM), ")
                .append("which is what one mapping costs.\n\n")
                .append(
                        "| adapter | JMH µs per request+response (wall) | error (99.9%) | CPU µs per pair | within 50 µs (CPU) |\n")
                .append("|---|---:|---:|---:|---|\n");
        for (RunResult r : results) {
            String type = r.getParams().getParam("type");
            double score = r.getPrimaryResult().getScore();
            double err = r.getPrimaryResult().getScoreError();
            double cpu = cpuMicrosPerPair(type);
            md.append(String.format(
                    "| %s | %.2f | %.2f | %.2f | %s |%n", type, score, err, cpu, cpu <= 50 ? "yes" : "no"));
        }
        md.append("\nCommand:\n\n```\n")
                .append("./mvnw -B -q -pl bench -am compile\n")
                .append(
                        "java -cp bench/target/classes:$(cat bench/target/classpath.txt) dev.relay.bench.provider.ProviderMappingBenchmark\n")
                .append("```\n");
        Path out = Path.of(args.length > 0 ? args[0] : "bench/reports/provider-mapping.md");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
        System.out.println(md);
    }
}
