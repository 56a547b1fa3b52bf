package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.RelayIngress;
import dev.relay.schemas.StreamChunk;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.StreamReply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failover contract's crash rule (docs/streaming.md): a processor killed with {@code kill -9} while it streams two
 * answers, one to a live caller and one to a buffered caller, then a new processor. The processor runs as a child JVM
 * ({@code RelayMain processor}); the ingress, the real broker and registry run in the test JVM, and the provider is a
 * local server streaming OpenAI's wire format slowly. The new processor issues both calls again under attempt 2: the
 * live caller, who had content of attempt 1, gets the in-band {@code stream_interrupted} error and no {@code [DONE]};
 * the buffered caller gets attempt 2's whole answer once; both jobs end SUCCEEDED with the whole answer.
 */
@Timeout(180)
class StreamingCrashIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String ANSWER =
            IntStream.rangeClosed(1, 30).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));

    /** Under target/ so the child processors' logs stay for a look after a failure. */
    private final Path dir = Path.of(
                    "target", "streaming-crash-it", UUID.randomUUID().toString().substring(0, 8))
            .toAbsolutePath();

    @Test
    void shouldInterruptTheLiveStreamAndGiveTheBufferedCallerTheWholeAnswerWhenTheProcessorIsKilledMidStream()
            throws Exception {
        Files.createDirectories(dir);
        Topics topics = STACK.freshTopics();
        try (FakeProvider fake = FakeProvider.start()) {
            // 30 tokens 100 ms apart: each call streams for 3 s, so the kill lands mid-stream
            fake.script(
                    r -> StreamReply.text(ANSWER).pace(Duration.ofMillis(100)).reply());
            Path config = dir.resolve("config.json");
            Files.writeString(config, configJson(fake.baseUrl(), topics));
            RelayConfig parsed = new ConfigLoader(n -> Optional.empty()).parse(Files.readString(config), "it");

            Process first = RoleJvm.start("processor", config, dir.resolve("first.log"));
            Process second = null;
            try (RelayIngress ingress = RelayIngress.start(parsed)) {
                RoleJvm.awaitLine(dir.resolve("first.log"), "-> RUNNING", Duration.ofSeconds(60));
                Caller live = Caller.post(ingress.port(), Map.of());
                Caller buffered = Caller.post(ingress.port(), Map.of("x-relay-stream-mode", "buffered"));
                await().atMost(Duration.ofSeconds(30)).until(() -> live.text().split(" ").length >= 3);
                await().atMost(Duration.ofSeconds(10)).until(() -> fake.concurrent() == 2);

                first.destroyForcibly().waitFor(); // SIGKILL with both calls streaming
                assertThat(buffered.events)
                        .as("nothing of a buffered call before its end")
                        .isEmpty();
                second = RoleJvm.start("processor", config, dir.resolve("second.log"));

                live.ended.get(90, TimeUnit.SECONDS);
                assertThat(live.events).last().satisfies(e -> {
                    assertThat(e.event()).isEqualTo("error");
                    assertThat(e.json().at("/error/code").asText()).isEqualTo("stream_interrupted");
                    assertThat(e.json().at("/error/job_id").asText()).isEqualTo(live.jobId);
                });
                assertThat(live.events).noneMatch(e -> e.data().equals("[DONE]"));
                assertThat(ANSWER).startsWith(live.text());
                assertThat(live.text()).isNotEqualTo(ANSWER);

                buffered.ended.get(90, TimeUnit.SECONDS);
                assertThat(buffered.text()).isEqualTo(ANSWER);
                assertThat(buffered.events)
                        .last()
                        .satisfies(e -> assertThat(e.data()).isEqualTo("[DONE]"));
                assertThat(buffered.events).noneMatch(e -> "error".equals(e.event()));

                for (Caller c : List.of(live, buffered)) {
                    JsonNode job = awaitSucceeded(ingress.port(), c.jobId);
                    assertThat(job.at("/response/choices/0/message/content").asText())
                            .isEqualTo(ANSWER);
                    // the lost call was attempt 1; the new processor's call is attempt 2
                    assertThat(job.path("attempts"))
                            .singleElement()
                            .satisfies(
                                    a -> assertThat(a.path("attempt").asInt()).isEqualTo(2));
                }
                assertThat(attemptsInChunks(topics, live.jobId)).containsExactly(1, 2);
                assertThat(attemptsInChunks(topics, buffered.jobId)).containsExactly(2);
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    RoleJvm.stop(second);
                }
            }
        }
    }

    private String configJson(String providerUrl, Topics topics) {
        return """
                {"providers": {
                   "openai": {"type": "openai", "keys": [{"name": "o1", "value": "sk-o"}],
                              "network_config": {"base_url": "%s", "max_retries": 0}}},
                 "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                           "application_id": "%sprocessor", "state_dir": "%s",
                           "commit_interval": "20ms", "poll_interval": "5ms"},
                 "circuit_breaker": {"enabled": false},
                 "metrics": {"port": 0},
                 "ingress": {"port": 0, "sync_timeout": "90s"}}
                """.formatted(
                        providerUrl,
                        STACK.bootstrapServers(),
                        STACK.registryUrl(),
                        topics.prefix(),
                        topics.prefix(),
                        dir.resolve("state").toString().replace("\\", "/"));
    }

    /** The attempt numbers in the job's chunk records on {@code relay.stream}. */
    private static Set<Integer> attemptsInChunks(Topics topics, String jobId) {
        var serdes = RelaySerdes.create(SchemaRegistryClient.create(STACK.registryUrl()));
        Set<Integer> attempts = new TreeSet<>();
        try (KafkaConsumer<String, StreamChunk> c = new KafkaConsumer<>(
                Map.<String, Object>of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        STACK.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "chunks-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                serdes.chunk().deserializer())) {
            c.subscribe(List.of(topics.stream()));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean ended = false;
            while (!ended && System.nanoTime() < until) {
                for (var r : c.poll(Duration.ofMillis(200))) {
                    if (jobId.equals(r.key())) {
                        attempts.add(r.value().getAttempt());
                        ended |= r.value().getAttempt() == 2
                                && r.value().getKind() == dev.relay.schemas.StreamChunkKind.END;
                    }
                }
            }
        }
        return attempts;
    }

    private static JsonNode awaitSucceeded(int port, String id) {
        JsonNode[] job = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + id))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            job[0] = JSON.readTree(r.body());
            return job[0].path("status").asText().equals("succeeded");
        });
        return job[0];
    }

    /** One server-sent event as the caller got it. */
    record Event(String event, String data) {
        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError(data, e);
            }
        }
    }

    /** A streaming caller, read on a thread of its own as the events arrive. */
    static final class Caller {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        volatile String jobId;

        static Caller post(int port, Map<String, String> headers) {
            Caller c = new Caller();
            String body = "{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}";
            HttpRequest.Builder b = HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            headers.forEach(b::header);
            Thread.ofVirtual().start(() -> {
                try {
                    HttpResponse<java.util.stream.Stream<String>> r =
                            HTTP.send(b.build(), HttpResponse.BodyHandlers.ofLines());
                    c.jobId = r.headers().firstValue("x-relay-job-id").orElse(null);
                    String[] event = {null};
                    List<String> data = new ArrayList<>();
                    r.body().forEach(line -> {
                        if (line.isEmpty()) {
                            if (!data.isEmpty()) {
                                c.events.add(new Event(event[0], String.join("\n", data)));
                            }
                            event[0] = null;
                            data.clear();
                        } else if (line.startsWith("event: ")) {
                            event[0] = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            data.add(line.substring(6));
                        }
                    });
                    c.ended.complete(null);
                } catch (Exception e) {
                    c.ended.completeExceptionally(e);
                }
            });
            return c;
        }

        /** The content the caller was shown. */
        String text() {
            StringBuilder b = new StringBuilder();
            for (Event e : events) {
                if (e.event() == null && !e.data().equals("[DONE]")) {
                    b.append(e.json().at("/choices/0/delta/content").asText(""));
                }
            }
            return b.toString();
        }
    }
}
