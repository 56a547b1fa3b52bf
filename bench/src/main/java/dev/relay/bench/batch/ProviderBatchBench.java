package dev.relay.bench.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.bench.ChildJvm;
import dev.relay.schemas.Topics;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
import dev.relay.testkit.provider.FakeBatches;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.io.BufferedWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A 24 h batch end to end through the batch tier: an ingress and a processor (child JVMs) on an embedded broker, and
 * fake provider batch APIs (OpenAI Files + Batches failing or expiring 20 % of the items, Anthropic Message Batches)
 * that end each provider batch a fixed delay after it was created. Measures the upload and batch creation, and the
 * time until {@code GET /v1/batches/{id}} says {@code completed}, with the tiers and provider batches it took.
 *
 * <p>{@code java -cp "$CP" dev.relay.bench.batch.ProviderBatchBench [lines] [delay-seconds] [report]}
 */
public final class ProviderBatchBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int lines = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int delayS = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path report = Path.of(args.length > 2 ? args[2] : "bench/reports/provider-batches.md");
        Path dir = Files.createTempDirectory("relay-provider-batch-bench");
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                InMemorySchemaRegistry registry = InMemorySchemaRegistry.start();
                FakeProvider openai = FakeProvider.start().recording(false);
                FakeProvider anthropic = FakeProvider.start().recording(false)) {
            FakeBatches openaiBatches = FakeBatches.on(openai).failing(200).completionDelay(Duration.ofSeconds(delayS));
            FakeBatches anthropicBatches = FakeBatches.on(anthropic).completionDelay(Duration.ofSeconds(delayS));
            Topics topics = Topics.defaults();
            TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
            int port = ChildJvm.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, """
                    {"providers": {
                       "openai": {"type": "openai", "keys": [{"name": "k", "value": "sk-bench"}],
                                  "network_config": {"base_url": "%s", "max_retries": 0},
                                  "concurrency_and_buffer_size": {"buffer_size": 1000000},
                                  "batch": {"enabled": true, "max_items": 50000, "max_wait": "2s", "poll_interval": "1s"}},
                       "anthropic": {"type": "anthropic", "keys": [{"name": "k", "value": "sk-bench"}],
                                     "network_config": {"base_url": "%s"},
                                     "concurrency_and_buffer_size": {"buffer_size": 1000000},
                                     "batch": {"enabled": true, "max_items": 50000, "max_wait": "2s", "poll_interval": "1s"}}},
                     "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "state_dir": "%s"},
                     "ingress": {"port": %d},
                     "metrics": {"port": 0}}
                    """.formatted(
                            openai.baseUrl(),
                            anthropic.baseUrl(),
                            broker.bootstrapServers(),
                            registry.url(),
                            dir.resolve("state"),
                            port));
            Path procLog = dir.resolve("processor.log");
            Path ingLog = dir.resolve("ingress.log");
            Process processor = ChildJvm.start(ChildJvm.PROCESSOR, List.of("-Xmx1g"), config, procLog);
            Process ingress = ChildJvm.start(ChildJvm.INGRESS, List.of("-Xmx512m"), config, ingLog);
            try {
                ChildJvm.awaitLine(procLog, "-> RUNNING", processor, Duration.ofSeconds(120));
                ChildJvm.awaitLine(ingLog, "relay ingress listening", ingress, Duration.ofSeconds(120));
                Path input = dir.resolve("input.jsonl");
                write(input, lines);
                HttpClient http = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + port;
                long t0 = System.nanoTime();
                JsonNode file = JSON.readTree(send(http, upload(base, input)));
                JsonNode batch = JSON.readTree(send(
                        http,
                        HttpRequest.newBuilder(URI.create(base + "/v1/batches"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\""
                                        + file.path("id").asText()
                                        + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"))
                                .build()));
                double acceptedS = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%,d lines accepted in %.1f s%n", lines, acceptedS);
                JsonNode done;
                do {
                    Thread.sleep(500);
                    done = JSON.readTree(send(
                            http,
                            HttpRequest.newBuilder(URI.create(base + "/v1/batches/"
                                            + batch.path("id").asText()))
                                    .build()));
                } while (!done.path("status").asText().equals("completed"));
                double doneS = (System.nanoTime() - t0) / 1e9;
                String loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();
                System.out.printf("completed %.1f s after the upload began: %s%n", doneS, done.path("relay"));
                String md = """
                        # A 24 h batch through the providers' batch APIs

                        `ProviderBatchBench %d %d` on %s. Ingress (`-Xmx512m`) and processor (`-Xmx1g`) in child JVMs,
                        an embedded broker (6 partitions) and an in-memory registry; fake OpenAI Files + Batches
                        (20 %% of the items errored or expired) and Anthropic Message Batches that end every provider
                        batch %d s after its creation. `max_items` 50000, `max_wait` 2 s, `poll_interval` 1 s,
                        `max_retries` 0. Load average before: %s; after: %s.

                        | step | figure |
                        | --- | --- |
                        | lines | %,d |
                        | upload plus batch creation (jobs published) | %.1f s |
                        | until `GET /v1/batches/{id}` says `completed` (from the start of the upload) | %.1f s |
                        | provider batch delay (each round: OpenAI, then Anthropic for the failed items) | %d s |
                        | items served by the OpenAI batch / by the Anthropic batch (`relay.tiers.batch` %d, `realtime` %d) | %,d / %,d |
                        | provider batches created: OpenAI / Anthropic | %d / %d |
                        | request_counts completed / failed | %,d / %,d |

                        Run: `java -cp "$CP" dev.relay.bench.batch.ProviderBatchBench %d %d`.
                        """.formatted(
                                lines,
                                delayS,
                                Instant.now(),
                                delayS,
                                loadBefore,
                                loadAfter,
                                lines,
                                acceptedS,
                                doneS,
                                delayS,
                                done.at("/relay/tiers/batch").asInt(),
                                done.at("/relay/tiers/realtime").asInt(),
                                lines - anthropicBatches.itemsSubmitted().size(),
                                anthropicBatches.itemsSubmitted().size(),
                                openaiBatches.submissions(),
                                anthropicBatches.submissions(),
                                done.at("/request_counts/completed").asInt(),
                                done.at("/request_counts/failed").asInt(),
                                lines,
                                delayS);
                Files.createDirectories(report.toAbsolutePath().getParent());
                Files.writeString(report, md);
                System.out.println("report: " + report);
            } finally {
                ingress.destroy();
                processor.destroy();
                ingress.waitFor();
                processor.waitFor();
            }
        }
    }

    private static String send(HttpClient http, HttpRequest r) throws Exception {
        HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IllegalStateException(r.uri() + ": " + resp.statusCode() + " " + resp.body());
        }
        return resp.body();
    }

    private static void write(Path file, int n) throws Exception {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < n; i++) {
                w.write("{\"custom_id\":\"req-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        + "\"body\":{\"model\":\"openai/gpt-4o-mini\","
                        + "\"fallbacks\":[\"anthropic/claude-3-5-haiku-latest\"],\"max_tokens\":64,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Summarise item " + i + "\"}]}}\n");
            }
        }
    }

    private static HttpRequest upload(String base, Path file) throws Exception {
        String boundary = "relay-bench-boundary";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                        + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"input.jsonl\"\r\n"
                        + "Content-Type: application/jsonl\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(URI.create(base + "/v1/files"))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(file),
                        HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
    }
}
