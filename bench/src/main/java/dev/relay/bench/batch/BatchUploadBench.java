package dev.relay.bench.batch;

import dev.relay.bench.ChildJvm;
import dev.relay.schemas.Topics;
import dev.relay.stack.EmbeddedKafkaBroker;
import dev.relay.stack.TopicSetup;
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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The OpenAI Batch API's limits through Relay: a 50,000-line, 200 MB input file uploaded ({@code POST /v1/files},
 * multipart) to an ingress in a JVM of its own capped at {@code -Xmx512m}, then a batch created from it
 * ({@code POST /v1/batches {input_file_id}}), which checks every line and publishes 50,000 jobs. Prints and reports
 * the time of each step, the ingress's heap after each GC (from its GC log) and the jobs on the topic; then shows
 * that a file one line over the limit is refused.
 *
 * <p>{@code java -cp "$CP" dev.relay.bench.batch.BatchUploadBench [lines] [report]}
 */
public final class BatchUploadBench {

    private static final String BOUNDARY = "relay-bench-boundary";

    public static void main(String[] args) throws Exception {
        int lines = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/reports/batch-upload.md");
        Path dir = Files.createTempDirectory("relay-batch-bench");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                InMemorySchemaRegistry registry = InMemorySchemaRegistry.start()) {
            Topics topics = Topics.defaults();
            TopicSetup.createAll(broker.bootstrapServers(), topics, 6);
            int port = ChildJvm.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(
                    config, """
                    {"providers": {
                       "openai": {"type": "openai", "keys": [{"name": "k", "value": "sk-bench"}],
                                  "network_config": {"base_url": "http://127.0.0.1:9"}},
                       "anthropic": {"type": "openai-compatible", "keys": [{"name": "k", "value": "sk-bench"}],
                                     "network_config": {"base_url": "http://127.0.0.1:9"}}},
                     "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "state_dir": "%s"},
                     "ingress": {"port": %d}}
                    """.formatted(broker.bootstrapServers(), registry.url(), dir.resolve("state"), port));
            Path gcLog = dir.resolve("ingress-gc.log");
            Path log = dir.resolve("ingress.log");
            Process ingress =
                    ChildJvm.start(ChildJvm.INGRESS, List.of("-Xmx512m", "-Xlog:gc:file=" + gcLog), config, log);
            try {
                ChildJvm.awaitLine(log, "relay ingress listening", ingress, Duration.ofSeconds(120));
                run(lines, port, dir, gcLog, broker.bootstrapServers(), topics, report);
            } finally {
                ingress.destroy();
                ingress.waitFor();
            }
        }
    }

    private static void run(int lines, int port, Path dir, Path gcLog, String bootstrap, Topics topics, Path report)
            throws Exception {
        Path input = dir.resolve("input.jsonl");
        long bytes = write(input, lines, 4150);
        System.out.printf("input: %,d lines, %,d bytes (%.1f MB)%n", lines, bytes, bytes / 1048576.0);
        HttpClient http = HttpClient.newBuilder().build();
        String base = "http://127.0.0.1:" + port;

        long t0 = System.nanoTime();
        HttpResponse<String> up = http.send(upload(base, input), HttpResponse.BodyHandlers.ofString());
        double uploadS = (System.nanoTime() - t0) / 1e9;
        if (up.statusCode() != 200) {
            throw new IllegalStateException("upload refused: " + up.statusCode() + " " + up.body());
        }
        String fileId = field(up.body(), "id");
        System.out.printf("upload accepted in %.1f s: %s%n", uploadS, fileId);
        long heapAfterUpload = maxHeapAfterGc(gcLog);

        long t1 = System.nanoTime();
        HttpResponse<String> created = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/batches"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + fileId
                                + "\",\"endpoint\":\"/v1/chat/completions\"," + "\"completion_window\":\"24h\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        double createS = (System.nanoTime() - t1) / 1e9;
        if (created.statusCode() != 200) {
            throw new IllegalStateException("batch refused: " + created.statusCode() + " " + created.body());
        }
        long jobs = records(bootstrap, topics.jobs());
        System.out.printf(
                "batch created (every line checked, %,d jobs on %s) in %.1f s%n", jobs, topics.jobs(), createS);
        long heapMax = maxHeapAfterGc(gcLog);

        Path over = dir.resolve("over.jsonl");
        write(over, 50_001, 10);
        HttpResponse<String> refused = http.send(upload(base, over), HttpResponse.BodyHandlers.ofString());
        System.out.printf("a file of 50,001 lines: %d %s%n", refused.statusCode(), field(refused.body(), "code"));
        String load = Files.readString(Path.of("/proc/loadavg")).trim();

        String md = """
                # Batch input at OpenAI's limits

                `BatchUploadBench %d` on %s (load average before the report: %s). The ingress runs alone in a JVM
                started with `-Xmx512m`; the embedded broker and an in-memory registry run in the bench's JVM.

                | step | figure |
                | --- | --- |
                | input file | %,d lines, %,d bytes (%.1f MB) |
                | `POST /v1/files` (multipart, spooled to disk by Jetty, every line checked, copied to `relay.files` in 512 KiB chunks) | %.1f s |
                | `POST /v1/batches {input_file_id}` (the file read back from Kafka twice: every line checked, then %,d jobs built and published in groups of 500) | %.1f s |
                | upload plus batch (target: at most 30 s) | %.1f s |
                | jobs on `relay.jobs` | %,d |
                | ingress heap occupancy after a GC pause (G1; young pauses count, so this is an upper bound, not the live set), largest during the upload / overall, with the heap capped at 512 MB: no OutOfMemoryError | %,d MB / %,d MB |
                | a file of 50,001 lines | %d `%s` |

                Run: `java -cp "$CP" dev.relay.bench.batch.BatchUploadBench 50000`.
                """.formatted(
                        lines,
                        Instant.now(),
                        load,
                        lines,
                        bytes,
                        bytes / 1048576.0,
                        uploadS,
                        lines,
                        createS,
                        uploadS + createS,
                        jobs,
                        heapAfterUpload,
                        heapMax,
                        refused.statusCode(),
                        field(refused.body(), "code"));
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md);
        System.out.println("report: " + report);
    }

    /** {@code n} lines of about {@code size} bytes each (the prompt is padded). */
    private static long write(Path file, int n, int size) throws Exception {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < n; i++) {
                String head = "{\"custom_id\":\"req-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        + "\"body\":{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku\"],"
                        + "\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Summarise: ";
                String tail = "\"}]}}";
                int pad = Math.max(0, size - head.length() - tail.length());
                w.write(head);
                w.write("lorem ipsum ".repeat(pad / 12 + 1), 0, pad);
                w.write(tail);
                w.write('\n');
            }
        }
        return Files.size(file);
    }

    private static HttpRequest upload(String base, Path file) throws Exception {
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                        + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"input.jsonl\"\r\n"
                        + "Content-Type: application/jsonl\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(URI.create(base + "/v1/files"))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(file),
                        HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "?";
    }

    /** The largest heap occupancy after a GC in the child's unified GC log ({@code 123M->45M(512M)}), in MB. */
    private static long maxHeapAfterGc(Path gcLog) throws Exception {
        long max = 0;
        Matcher m = Pattern.compile("\\d+M->(\\d+)M\\(\\d+M\\)")
                .matcher(Files.exists(gcLog) ? Files.readString(gcLog) : "");
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }

    private static long records(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of("bootstrap.servers", bootstrap), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return c.endOffsets(tps).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }
}
