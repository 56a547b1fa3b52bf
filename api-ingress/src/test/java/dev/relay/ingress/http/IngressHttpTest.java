package dev.relay.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.relay.ingress.Http;
import dev.relay.ingress.InMemoryBackend;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.TestConfigs;
import dev.relay.ingress.TestResults;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP contract on the in-memory seam: what callers see for results the processor would write. */
class IngressHttpTest {

    private static final String BODY = """
            {"model": "openai/gpt-4o-mini", "fallbacks": ["anthropic/claude-3-5-haiku", "groq/llama"],
             "messages": [{"role": "user", "content": "hi"}]}""";

    private InMemoryBackend backend;
    private RelayIngress ingress;
    private Http http;

    @BeforeEach
    void start() {
        backend = new InMemoryBackend().answering(IngressHttpTest::answer);
        ingress = RelayIngress.start(TestConfigs.config("", "", ""), backend, Clock.systemUTC());
        http = new Http(ingress.port());
    }

    @AfterEach
    void stop() {
        ingress.close();
    }

    /** A stand-in processor: the user message decides the outcome. */
    private static JobResult answer(Job job) {
        String text = job.getRequest().getMessages().get(0).getContent().get(0).getText();
        return switch (text) {
            case "fail" -> TestResults.failedAll(job, 429);
            case "never" -> null;
            default -> TestResults.succeededAt(job, text.equals("primary") ? 0 : 1, 429);
        };
    }

    private static String body(String text) {
        return BODY.replace("\"hi\"", "\"" + text + "\"");
    }

    @Test
    void shouldAnswerWithFallbackProviderInExtraFieldsWhenPrimaryIsRateLimited() {
        Http.Response r = http.postJson("/v1/chat/completions", BODY, Map.of());

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode json = r.json();
        assertThat(json.at("/object").asText()).isEqualTo("chat.completion");
        assertThat(json.at("/choices/0/message/content").asText()).isEqualTo("hello from anthropic");
        assertThat(json.at("/extra_fields/provider").asText()).isEqualTo("anthropic");
        assertThat(json.at("/extra_fields/model").asText()).isEqualTo("claude-3-5-haiku");
        assertThat(json.at("/extra_fields/fallback_index").asInt()).isEqualTo(1);
        assertThat(json.at("/extra_fields/attempts")).hasSize(2);
        assertThat(json.at("/extra_fields/attempts/0/http_status").asInt()).isEqualTo(429);
        assertThat(json.at("/extra_fields/job_id").asText())
                .isEqualTo(r.headers().firstValue("x-relay-job-id").orElseThrow());
        Job published = backend.published.get(0);
        assertThat(published.getChain())
                .extracting(t -> t.getProvider() + "/" + t.getModel())
                .containsExactly("openai/gpt-4o-mini", "anthropic/claude-3-5-haiku", "groq/llama");
        assertThat(published.getOrigin()).isEqualTo("http");
    }

    @Test
    void shouldReturnPrimaryStatusAndAttemptsWhenEverythingFails() {
        Http.Response r = http.postJson("/v1/chat/completions", body("fail"), Map.of());

        assertThat(r.status()).isEqualTo(429);
        assertThat(r.json().at("/error/type").asText()).isEqualTo("rate_limit_error");
        assertThat(r.json().at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(r.json().at("/extra_fields/attempts")).hasSize(3);
        assertThat(r.json().at("/extra_fields/provider").asText()).isEqualTo("openai");
    }

    @Test
    void shouldAnswer504WithJobIdWhenTheWaitRunsOut() {
        Http.Response r = http.postJson("/v1/chat/completions", body("never"), Map.of("x-relay-timeout", "300ms"));

        assertThat(r.status()).isEqualTo(504);
        String jobId = r.json().get("job_id").asText();
        assertThat(jobId).isEqualTo(backend.published.get(0).getJobId());
        assertThat(r.json().at("/error/message").asText()).contains("/v1/jobs/" + jobId);
        assertThat(http.get("/v1/jobs/" + jobId, Map.of()).json().get("status").asText())
                .isEqualTo("queued");
    }

    @Test
    void shouldPollAnAsyncJobToItsResult() {
        // metadata at OpenAI's limits for a key and a value: 64 and 512 characters
        String job = BODY.replace(
                "{\"model\"",
                "{\"custom_id\": \"c-1\", \"metadata\": {\"team\": \"a\", \"" + "k".repeat(64) + "\": \""
                        + "v".repeat(512) + "\"}, \"model\"");
        Http.Response submitted = http.postJson("/v1/jobs", job, Map.of());
        assertThat(submitted.status()).isEqualTo(202);
        String id = submitted.json().get("id").asText();

        await().atMost(Duration.ofSeconds(10))
                .until(() -> http.get("/v1/jobs/" + id, Map.of())
                        .json()
                        .get("status")
                        .asText()
                        .equals("succeeded"));
        JsonNode got = http.get("/v1/jobs/" + id, Map.of()).json();
        assertThat(got.at("/response/choices/0/message/content").asText()).isEqualTo("hello from anthropic");
        assertThat(got.at("/custom_id").asText()).isEqualTo("c-1");
        assertThat(got.at("/metadata/team").asText()).isEqualTo("a");
        assertThat(got.at("/metadata/" + "k".repeat(64)).asText()).isEqualTo("v".repeat(512));
        assertThat(got.at("/attempts")).hasSize(2);
        assertThat(got.at("/chain/2").asText()).isEqualTo("groq/llama");
        assertThat(http.get("/v1/jobs/job_nope", Map.of()).status()).isEqualTo(404);
    }

    @Test
    void shouldReturnTheSameJobAndPublishNothingForARepeatedIdempotencyKey() {
        Map<String, String> key = Map.of("Idempotency-Key", "order-42");
        Http.Response first = http.postJson("/v1/chat/completions", BODY, key);
        Http.Response second = http.postJson("/v1/chat/completions", BODY, key);
        Http.Response async = http.postJson("/v1/jobs", BODY, key);

        assertThat(first.status()).isEqualTo(200);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().at("/extra_fields/job_id").asText())
                .isEqualTo(first.json().at("/extra_fields/job_id").asText());
        assertThat(async.json().get("id").asText())
                .isEqualTo(first.json().at("/extra_fields/job_id").asText());
        assertThat(async.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(backend.published).hasSize(1);
        assertThat(http.postJson("/v1/chat/completions", BODY, Map.of("Idempotency-Key", "other"))
                        .status())
                .isEqualTo(200);
        assertThat(backend.published).hasSize(2);
    }

    @Test
    void shouldRefuseARepeatedIdempotencyKeyWithADifferentRequest() {
        Map<String, String> key = Map.of("Idempotency-Key", "order-43");
        assertThat(http.postJson("/v1/jobs", BODY, key).status()).isEqualTo(202);

        Http.Response otherPrompt = http.postJson("/v1/jobs", BODY.replace("\"hi\"", "\"bye\""), key);
        Http.Response otherChain = http.postJson("/v1/chat/completions", BODY.replace(", \"groq/llama\"", ""), key);

        for (Http.Response r : List.of(otherPrompt, otherChain)) {
            assertThat(r.status()).as(r.body()).isEqualTo(422);
            assertThat(r.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
            assertThat(r.json().at("/error/code").asText()).isEqualTo("idempotency_key_reused");
            assertThat(r.json().at("/error/param").asText()).isEqualTo("Idempotency-Key");
            assertThat(r.json().at("/error/message").asText())
                    .contains("order-43")
                    .contains("different request");
        }
        assertThat(backend.published).hasSize(1);
        // the same request again is still the same job
        Http.Response same = http.postJson("/v1/jobs", BODY, key);
        assertThat(same.status()).isEqualTo(202);
        assertThat(same.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(backend.published).hasSize(1);
    }

    @Test
    void shouldRunABatchOfMixedItemsToOneOutputLinePerCustomId() {
        String jsonl = IntStream.range(0, 200)
                .mapToObj(i -> "{\"custom_id\":\"item-" + i
                        + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                        + body(i % 3 == 0 ? "fail" : "ok").replace("\n", " ") + "}")
                .collect(Collectors.joining("\n"));
        Http.Response created = http.post("/v1/batches", jsonl.getBytes(), Map.of("Content-Type", "application/jsonl"));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().get("id").asText();

        await().atMost(Duration.ofSeconds(20))
                .until(() -> http.get("/v1/batches/" + id, Map.of())
                        .json()
                        .get("status")
                        .asText()
                        .equals("completed"));
        JsonNode summary = http.get("/v1/batches/" + id, Map.of()).json();
        assertThat(summary.at("/request_counts/total").asInt()).isEqualTo(200);
        assertThat(summary.at("/request_counts/failed").asInt()).isEqualTo(67);
        String[] lines =
                http.get("/v1/batches/" + id + "/output", Map.of()).body().split("\n");
        assertThat(lines).hasSize(200);
        assertThat(lines[3]).contains("\"custom_id\":\"item-3\"").contains("\"status_code\":429");
        assertThat(lines[4]).contains("\"custom_id\":\"item-4\"").contains("\"status_code\":200");
    }

    @Test
    void shouldAnswer503InOpenAiShapeWhenKafkaDoesNotTakeTheJob() {
        backend.down = true;
        Http.Response r = http.postJson("/v1/chat/completions", BODY, Map.of());

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("service_unavailable");
        assertThat(backend.view().pendingWaiters()).isZero();
    }

    @Test
    void shouldServeHealthMetricsAndOpenApi() {
        http.postJson("/v1/chat/completions", BODY, Map.of());
        assertThat(http.get("/health/live", Map.of()).status()).isEqualTo(200);
        assertThat(http.get("/health/ready", Map.of()).status()).isEqualTo(200);
        String metrics = http.get("/metrics", Map.of()).body();
        assertThat(metrics)
                .contains("relay_ingress_http_requests_seconds_bucket")
                .contains("route=\"/v1/chat/completions\"")
                .contains("status=\"200\"")
                .contains("relay_ingress_sync_waiting");
        JsonNode openApi = http.get("/openapi.json", Map.of()).json();
        assertThat(openApi.get("openapi").asText()).startsWith("3.");
        assertThat(openApi.at("/paths").has("/v1/chat/completions")).isTrue();
        Http.Response unknown = http.get("/v2/nothing", Map.of());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().at("/error/code").asText()).isEqualTo("unknown_url");
    }
}
