package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What `./relay up` does, in-process on free ports: the README's fallback example answers through the real broker,
 * registry, processor and ingress, and a second start on the same data directory finds topics, schemas and results.
 */
@Timeout(240)
class LocalRelayIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = """
            {
              "providers": {
                "openai": {"keys": [{"name": "openai-main", "value": "env.RELAY_TEST_UNSET_OPENAI_KEY"}]},
                "mock": {"type": "mock", "keys": []}
              },
              "kafka": {"partitions": 2},
              "ingress": {"port": 0},
              "metrics": {"port": 0}
            }
            """;
    private static final String README_REQUEST = """
            {"model": "openai/gpt-4o-mini", "fallbacks": ["mock/echo"],
             "messages": [{"role": "user", "content": "Say hello"}]}
            """;

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldAnswerTheReadmeExampleFromTheFallbackAndKeepStateAcrossRestarts() throws Exception {
        RelayConfig cfg = new ConfigLoader(name -> Optional.empty()).parse(CONFIG, "test");
        LocalRelay.Options options = new LocalRelay.Options(dataDir, 0, 0, 0, true, true);
        String jobId;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (LocalRelay relay =
                LocalRelay.start(cfg, options, new PrintStream(printed, true, StandardCharsets.UTF_8))) {
            assertThat(relay.createdTopics()).hasSize(14);
            assertThat(printed.toString(StandardCharsets.UTF_8))
                    .contains("Kafka (KRaft)", "Schema registry", "Processor", "Ingress")
                    .contains("Dashboard         http://127.0.0.1:" + relay.ingressPort() + "/");

            HttpResponse<String> resp = post(relay.ingressPort(), README_REQUEST);
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(resp.body());
            assertThat(body.path("object").asText()).isEqualTo("chat.completion");
            assertThat(body.at("/choices/0/message/content").asText()).isEqualTo("Say hello");
            JsonNode extra = body.path("extra_fields");
            assertThat(extra.path("provider").asText()).isEqualTo("mock");
            assertThat(extra.path("fallback_index").asInt()).isEqualTo(1);
            assertThat(extra.at("/attempts/0/outcome").asText()).isEqualTo("AUTH");
            assertThat(extra.at("/attempts/0/key_name").asText()).isEqualTo("openai-main");
            assertThat(extra.at("/attempts/1/outcome").asText()).isEqualTo("SUCCESS");
            jobId = extra.path("job_id").asText();
        }

        try (LocalRelay again = LocalRelay.start(cfg, options, new PrintStream(new ByteArrayOutputStream()))) {
            assertThat(again.createdTopics()).as("topics survive a restart").isEmpty();
            HttpResponse<String> subjects = http.send(
                    HttpRequest.newBuilder(URI.create(again.registryUrl() + "/subjects"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(subjects.body())
                    .as("schemas survive a restart")
                    .contains("relay.jobs-value", "relay.results-value");
            HttpResponse<String> job = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + again.ingressPort() + "/v1/jobs/" + jobId))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(job.statusCode()).as(job.body()).isEqualTo(200);
            assertThat(JSON.readTree(job.body()).path("status").asText()).isEqualTo("succeeded");
        }
    }

    @Test
    void shouldRunOnAThreeNodeClusterWithThreeCopiesOfEveryTopic() throws Exception {
        RelayConfig cfg = new ConfigLoader(name -> Optional.empty()).parse(CONFIG, "test");
        LocalRelay.Options options = new LocalRelay.Options(dataDir, 0, 0, 0, true, true, 3);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (LocalRelay relay = LocalRelay.start(cfg, options, new PrintStream(printed, true, StandardCharsets.UTF_8));
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, relay.bootstrapServers()))) {
            assertThat(printed.toString(StandardCharsets.UTF_8)).contains("3 nodes, replication factor 3");
            assertThat(relay.bootstrapServers().split(",")).hasSize(3);
            var topics =
                    admin.describeTopics(relay.createdTopics()).allTopicNames().get();
            assertThat(topics.values())
                    .allSatisfy(t -> assertThat(t.partitions())
                            .allSatisfy(p -> assertThat(p.replicas()).hasSize(3)));
            ConfigResource jobs = new ConfigResource(ConfigResource.Type.TOPIC, "relay.jobs");
            assertThat(admin.describeConfigs(List.of(jobs))
                            .all()
                            .get()
                            .get(jobs)
                            .get("min.insync.replicas")
                            .value())
                    .isEqualTo("2");

            HttpResponse<String> resp = post(relay.ingressPort(), README_REQUEST);
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            assertThat(JSON.readTree(resp.body()).at("/extra_fields/provider").asText())
                    .isEqualTo("mock");
        }
    }

    private HttpResponse<String> post(int port, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(60))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
