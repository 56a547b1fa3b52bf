package dev.relay.ingress.dashboard;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.Http;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.logstore.LogQueries;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard on the real stack (embedded broker, Apicurio, the processor, the ingress with its SQLite log store),
 * with real local providers speaking OpenAI's format: openai answers 429 unless the prompt says "primary-ok";
 * anthropic answers 200, or 503 while the prompt says "all-fail" and its outage lasts. Headless Chromium drives the
 * UI; screenshots go to target/screenshots.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    static final String API_KEY = "relay-dash-api-key-7f3a9c1e55";
    static final String ADMIN_KEY = "relay-dash-admin-key-2b8d4e6f77";
    static final String PROVIDER_KEY = "sk-provider-secret-value-9q8w7e6r";

    private WireMockServer openai;
    private WireMockServer anthropic;
    private Topics topics;
    private Path stateDir;
    private RelayProcessor processor;
    private RelayIngress ingress;
    private Http http;
    private String fellBack;
    private String failed;

    @BeforeAll
    void start() throws Exception {
        openai = new WireMockServer(wireMockConfig().dynamicPort());
        anthropic = new WireMockServer(wireMockConfig().dynamicPort());
        openai.start();
        anthropic.start();
        openai.stubFor(
                post(urlEqualTo("/v1/chat/completions"))
                        .willReturn(
                                aResponse()
                                        .withStatus(429)
                                        .withHeader("Content-Type", "application/json")
                                        .withBody(
                                                "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")));
        openai.stubFor(post(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(containing("primary-ok"))
                .willReturn(ok("openai")));
        anthropic.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(ok("anthropic")));
        anthropic.stubFor(post(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(containing("all-fail"))
                .willReturn(aResponse()
                        .withStatus(503)
                        .withBody("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}")));
        topics = new Topics("d" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(topics);
        stateDir = Files.createTempDirectory("dashboard-it");
        processor = RelayProcessor.start(config(""));
        assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
        ingress = RelayIngress.start(config(""));
        http = new Http(ingress.port());

        JsonNode fb = http.postJson("/v1/chat/completions", chat("hello dashboard"), Map.of())
                .json();
        fellBack = fb.at("/extra_fields/job_id").asText();
        assertThat(fb.at("/extra_fields/fallback_index").asInt()).isEqualTo(1);
        http.postJson("/v1/chat/completions", chat("primary-ok please"), Map.of());
        Http.Response f = http.postJson("/v1/chat/completions", chat("all-fail today"), Map.of());
        assertThat(f.status()).isEqualTo(429);
        failed = f.json().at("/extra_fields/job_id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode j =
                    http.get("/api/dashboard/jobs?limit=10", Map.of()).json().get("jobs");
            return j.size() == 3 && j.findValuesAsText("status").stream().noneMatch("PENDING"::equals);
        });
    }

    @AfterAll
    void stop() {
        if (ingress != null) {
            ingress.close();
        }
        if (processor != null) {
            processor.close();
        }
        openai.stop();
        anthropic.stop();
    }

    private static ResponseDefinitionBuilder ok(String who) {
        return aResponse()
                .withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody(
                        "{\"id\":\"chatcmpl-" + who
                                + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"m\","
                                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello from "
                                + who
                                + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");
    }

    private RelayConfig config(String ingressExtra) {
        String json = """
                {"providers": {
                   "openai": {"type": "openai", "keys": [{"name": "openai-main", "value": "%s"}],
                              "network_config": {"base_url": "%s", "max_retries": 0}},
                   "anthropic": {"type": "openai-compatible", "keys": [{"name": "anthropic-main", "value": "sk-a-2"}],
                                 "network_config": {"base_url": "%s", "max_retries": 0}}},
                 "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                           "application_id": "%sprocessor", "state_dir": "%s",
                           "commit_interval": "20ms", "poll_interval": "5ms"},
                 "circuit_breaker": {"enabled": false},
                 "metrics": {"port": 0},
                 "ingress": {"port": 0, "sync_timeout": "30s" %s}}
                """.formatted(
                        PROVIDER_KEY,
                        openai.baseUrl(),
                        anthropic.baseUrl(),
                        STACK.bootstrapServers(),
                        STACK.registryUrl(),
                        topics.prefix(),
                        topics.prefix(),
                        stateDir,
                        ingressExtra);
        return new ConfigLoader(n -> Optional.empty()).parse(json, "it");
    }

    private static String chat(String prompt) {
        return "{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku\"],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    private String url(String hash) {
        return "http://127.0.0.1:" + ingress.port() + "/" + hash;
    }

    @Test
    @Order(1)
    void shouldShowTheOverviewAndAFallbackTrailAndFilterTheLogs() throws Exception {
        try (Browser b = new Browser()) {
            b.driver.get(url("#/overview"));
            b.waitUpTo(Duration.ofSeconds(20))
                    .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#chart-requests canvas")));
            // the processor's status snapshots reach the overview through relay.status and the log store
            b.waitUpTo(Duration.ofSeconds(20)).until(d -> {
                d.navigate().refresh();
                return d.findElements(By.cssSelector("#providers-table tbody tr"))
                                .size()
                        == 2;
            });
            assertThat(b.driver.findElement(By.id("providers-table")).getText()).contains("openai", "anthropic");
            assertThat(b.driver.findElement(By.id("queue-table")).getText()).contains(topics.jobs());
            b.screenshot("dashboard-overview");

            b.driver.get(url("#/logs"));
            By rows = By.cssSelector("#logs-table tr.job-row");
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(rows, 3));
            b.screenshot("dashboard-logs");

            new Select(b.driver.findElement(By.id("f-status"))).selectByValue("SUCCEEDED");
            b.driver.findElement(By.id("f-provider")).sendKeys("anthropic");
            b.driver.findElement(By.id("f-apply")).click();
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(rows, 1));
            assertThat(b.driver.findElement(rows).getAttribute("data-job-id")).isEqualTo(fellBack);

            b.driver.get(url("#/logs?class=TRANSIENT"));
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(rows, 1));
            assertThat(b.driver.findElement(rows).getAttribute("data-job-id")).isEqualTo(failed);
            b.driver.get(url("#/logs?class=RATE_LIMITED"));
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(rows, 2));
            b.screenshot("dashboard-logs-filtered");

            b.driver.get(url("#/logs?fallback=1"));
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(rows, 1));
            b.driver.findElement(rows).click();
            By attempts = By.cssSelector("#attempts-table tr.attempt-row");
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(attempts, 2));
            List<WebElement> trail = b.driver.findElements(attempts);
            assertThat(trail.get(0).getAttribute("data-hop")).isEqualTo("0");
            assertThat(trail.get(0).getAttribute("data-provider")).isEqualTo("openai");
            assertThat(trail.get(0).getText()).contains("RATE_LIMITED", "429", "openai-main", "NEXT_HOP");
            assertThat(trail.get(1).getAttribute("data-hop")).isEqualTo("1");
            assertThat(trail.get(1).getAttribute("data-provider")).isEqualTo("anthropic");
            assertThat(trail.get(1).getText()).contains("SUCCESS", "RETURNED");
            assertThat(b.driver.findElement(By.id("request")).getText()).contains("hello dashboard");
            assertThat(b.driver.findElement(By.id("response")).getText()).contains("hello from anthropic");
            b.screenshot("dashboard-job");
        }
    }

    @Test
    @Order(2)
    void shouldReplayAFailedJobFromTheUi() throws Exception {
        // the outage is over: anthropic answers again
        anthropic.resetAll();
        anthropic.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(ok("anthropic")));
        try (Browser b = new Browser()) {
            b.driver.get(url("#/job/" + failed));
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.textToBe(By.id("job-status"), "FAILED"));
            b.driver.findElement(By.id("replay-btn")).click();
            By plan = By.cssSelector("#replay-plan tr.plan-row");
            b.waitUpTo(Duration.ofSeconds(60)).until(ExpectedConditions.numberOfElementsToBe(plan, 1));
            assertThat(b.driver.findElement(plan).getText()).contains(failed, "REPLAY");
            b.screenshot("dashboard-replay-dry-run");
            b.driver.findElement(By.id("replay-confirm")).click();
            b.waitUpTo(Duration.ofSeconds(60))
                    .until(ExpectedConditions.presenceOfElementLocated(
                            By.cssSelector("#replay-status .run-state.done")));
            b.waitUpTo(Duration.ofSeconds(60)).until(d -> {
                d.navigate().refresh();
                return d.findElements(By.id("job-status")).stream()
                        .anyMatch(e -> e.getText().equals("SUCCEEDED"));
            });
            assertThat(b.driver
                            .findElements(By.cssSelector("#attempts-table tr.attempt-row"))
                            .size())
                    .isGreaterThanOrEqualTo(3);
            b.screenshot("dashboard-replayed");
        }
    }

    @Test
    @Order(3)
    void shouldRefuseWithoutKeysAndNeverShowAKeyValue() {
        RelayConfig keyed = config(", \"api_keys\": [\"" + API_KEY + "\"], \"admin_keys\": [\"" + ADMIN_KEY + "\"]");
        try (RelayIngress guarded = RelayIngress.start(keyed)) {
            Http h = new Http(guarded.port());
            Map<String, String> user = Map.of("Authorization", "Bearer " + API_KEY);
            assertThat(h.get("/api/dashboard/jobs", Map.of()).status()).isEqualTo(401);
            assertThat(h.get("/api/dashboard/jobs", Map.of("Authorization", "Bearer wrong"))
                            .status())
                    .isEqualTo(401);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> h.get("/api/dashboard/jobs", user)
                                    .json()
                                    .get("jobs")
                                    .size()
                            >= 3);
            String replay = "{\"job_ids\":[\"" + fellBack + "\"],\"execute\":true}";
            assertThat(h.postJson("/api/dashboard/replay", replay, user).status())
                    .isEqualTo(403);
            assertThat(h.postJson("/api/dashboard/webhooks/" + fellBack + "/redeliver", "", user)
                            .status())
                    .isEqualTo(403);
            assertThat(h.postJson("/api/dashboard/replay", replay.replace("true", "false"), user)
                            .status())
                    .isEqualTo(200);

            StringBuilder seen = new StringBuilder();
            for (String path : List.of(
                    "/",
                    "/dashboard/app.js",
                    "/dashboard/app.css",
                    "/api/dashboard/overview",
                    "/api/dashboard/jobs",
                    "/api/dashboard/jobs/" + fellBack,
                    "/api/dashboard/jobs/" + failed,
                    "/api/dashboard/providers",
                    "/api/dashboard/store",
                    "/api/dashboard/webhooks",
                    "/api/dashboard/batches",
                    "/api/dashboard/deadletters")) {
                Http.Response r = h.get(path, user);
                assertThat(r.status()).as(path).isEqualTo(200);
                seen.append(r.body()).append(r.headers().map());
            }
            seen.append(h.get("/api/dashboard/jobs", Map.of()).body());
            seen.append(h.postJson("/api/dashboard/replay", replay, user).body());
            assertThat(seen.toString()).contains("openai-main").doesNotContain(API_KEY, ADMIN_KEY, PROVIDER_KEY);
        }
    }

    @Test
    @Order(4)
    void shouldRebuildTheSameStoreFromTheTopicsAfterItsDatabaseIsDeleted() throws Exception {
        LogQueries live = ingress.logStore().orElseThrow().queries();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> live.dump("jobs").stream().noneMatch(r -> r.contains("\"PENDING\"")));
        List<String> jobs = live.dump("jobs");
        List<String> attempts = live.dump("attempts");
        ingress.close();
        for (String f : List.of("logs.db", "logs.db-wal", "logs.db-shm")) {
            Files.deleteIfExists(stateDir.resolve(f));
        }
        ingress = RelayIngress.start(config(""));
        LogQueries rebuilt = ingress.logStore().orElseThrow().queries();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> ingress.logStore().orElseThrow().projector().caughtUp());
        assertThat(rebuilt.dump("attempts")).isEqualTo(attempts);
        assertThat(rebuilt.dump("jobs")).isEqualTo(jobs);
    }
}
