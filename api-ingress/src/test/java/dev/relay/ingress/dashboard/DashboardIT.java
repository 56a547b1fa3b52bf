package dev.relay.ingress.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.sun.net.httpserver.HttpServer;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.Http;
import dev.relay.ingress.RelayIngress;
import dev.relay.ingress.logstore.BackgroundPriority;
import dev.relay.ingress.logstore.LogQueries;
import dev.relay.ingress.logstore.ProcStat;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.StackConfig;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * with real local providers speaking OpenAI's format (testkit's {@link FakeProvider}): openai answers 429 unless the
 * prompt says "primary-ok"; anthropic answers 200, or 503 when the prompt says "batch-fail" or says "all-fail" while
 * its outage lasts. A local webhook receiver answers 503 to its first delivery and 204 after. Headless Chromium drives
 * the UI; screenshots go to target/screenshots.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    static final String API_KEY = "relay-dash-api-key-7f3a9c1e55";
    static final String ADMIN_KEY = "relay-dash-admin-key-2b8d4e6f77";
    static final String PROVIDER_KEY = "sk-provider-secret-value-9q8w7e6r";

    private FakeProvider openai;
    private FakeProvider anthropic;
    private volatile boolean outage = true;
    private HttpServer receiver;
    private final List<String> deliveries = new CopyOnWriteArrayList<>();
    private Topics topics;
    private Path stateDir;
    private RelayProcessor processor;
    private RelayIngress ingress;
    private Http http;
    private String fellBack;
    private String failed;

    @BeforeAll
    void start() throws Exception {
        openai = FakeProvider.start()
                .script(r -> r.text().contains("primary-ok")
                        ? Reply.ok("hello from openai")
                        : Reply.error(429, "requests", "Rate limit reached"));
        anthropic = FakeProvider.start()
                .script(r ->
                        r.text().contains("batch-fail") || (outage && r.text().contains("all-fail"))
                                ? Reply.error(503, "server_error", "overloaded")
                                : Reply.ok("hello from anthropic"));
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", x -> {
            deliveries.add(x.getRequestHeaders().getFirst("webhook-id"));
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(deliveries.size() == 1 ? 503 : 204, -1);
            x.close();
        });
        receiver.start();
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
        openai.close();
        anthropic.close();
        receiver.stop(0);
    }

    private RelayConfig config(String ingressExtra) {
        String json = StackConfig.on(STACK, topics)
                .provider("openai", "openai", "openai-main", PROVIDER_KEY, openai.baseUrl())
                .provider("anthropic", "openai-compatible", "anthropic-main", "sk-a-2", anthropic.baseUrl())
                .stateDir(stateDir)
                .section("webhooks", "{\"allow_private_targets\": true, \"backoff_initial\": \"100ms\"}")
                .section("ingress", "{\"port\": 0, \"sync_timeout\": \"30s\" " + ingressExtra + "}")
                .json();
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
        outage = false; // anthropic answers again
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
    void shouldShowABatchsProgressAndItsItemsByStatus() throws Exception {
        String input = String.join(
                "\n",
                batchLine(1, "primary-ok b1"),
                batchLine(2, "primary-ok b2"),
                batchLine(3, "falls back b3"),
                batchLine(4, "batch-fail b4"));
        OpenAIClient sdk = OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + ingress.port() + "/v1")
                .apiKey("unused")
                .maxRetries(0)
                .build();
        FileObject file = sdk.files()
                .create(FileCreateParams.builder()
                        .file((input + "\n").getBytes(StandardCharsets.UTF_8))
                        .purpose(FilePurpose.BATCH)
                        .build());
        String batchId = sdk.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(file.id())
                        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .build())
                .id();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (JsonNode b : http.get("/api/dashboard/batches", Map.of()).json()) {
                if (b.get("batch_id").asText().equals(batchId)) {
                    return b.get("total").asInt() == 4 && b.get("pending").asInt() == 0;
                }
            }
            return false;
        });
        try (Browser b = new Browser()) {
            b.driver.get(url("#/batches"));
            By row = By.xpath("//table[@id='batches-table']//tr[td[normalize-space()='" + batchId + "']]");
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.presenceOfElementLocated(row));
            List<String> cells = b.driver.findElement(row).findElements(By.tagName("td")).stream()
                    .map(WebElement::getText)
                    .toList();
            // batch, items, progress, succeeded, failed, pending
            assertThat(cells.subList(0, 6)).containsExactly(batchId, "4", "4/4", "3", "1", "0");
            b.screenshot("dashboard-batches");

            b.driver.findElement(row).click();
            By items = By.cssSelector("#logs-table tr.job-row");
            b.waitUpTo(Duration.ofSeconds(20)).until(ExpectedConditions.numberOfElementsToBe(items, 4));
            assertThat(b.driver.findElements(By.cssSelector("#logs-table tr.job-row td.SUCCEEDED")))
                    .hasSize(3);
            assertThat(b.driver.findElements(By.cssSelector("#logs-table tr.job-row td.FAILED")))
                    .hasSize(1);
            assertThat(b.driver.findElements(By.cssSelector("#logs-table tr.job-row td.batch")))
                    .allSatisfy(c -> assertThat(c.getText()).isEqualTo(batchId));
            b.screenshot("dashboard-batch-items");
        }
    }

    private static String batchLine(int i, String prompt) {
        return "{\"custom_id\":\"item-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + chat(prompt) + "}";
    }

    @Test
    @Order(4)
    void shouldShowWebhookDeliveriesWithTheirAttemptsAndRedeliverWithAnAdminKey() throws Exception {
        String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
        Http.Response submitted = http.postJson(
                "/v1/jobs",
                chat("primary-ok with a webhook").replaceFirst("\\{", "{\"callback_url\":\"" + hook + "\","),
                Map.of());
        assertThat(submitted.status()).isEqualTo(202);
        String jobId = submitted.json().get("id").asText();
        // the first delivery gets 503, the retry 204: one delivery, two attempts
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (JsonNode w : http.get("/api/dashboard/webhooks", Map.of()).json()) {
                if (w.get("job_id").asText().equals(jobId)) {
                    return w.get("state").asText().equals("delivered");
                }
            }
            return false;
        });
        RelayConfig keyed = config(", \"api_keys\": [\"" + API_KEY + "\"], \"admin_keys\": [\"" + ADMIN_KEY + "\"]");
        try (RelayIngress guarded = RelayIngress.start(keyed);
                Browser b = new Browser()) {
            b.driver.get("http://127.0.0.1:" + guarded.port() + "/#/webhooks");
            b.driver.findElement(By.id("api-key")).sendKeys(API_KEY);
            b.driver.findElement(By.id("admin-key")).sendKeys(ADMIN_KEY);
            b.driver.findElement(By.cssSelector("#keys button[type=submit]")).click();
            By row = By.xpath("//table[@id='webhooks-table']//tr[td[normalize-space()='" + jobId + "']]");
            b.waitUpTo(Duration.ofSeconds(30)).until(d -> {
                d.navigate().refresh();
                return !d.findElements(row).isEmpty();
            });
            String text = b.driver.findElement(row).getText();
            assertThat(text).contains("whk_" + jobId + "_g0", hook, "delivered", "503", "204");
            b.screenshot("dashboard-webhooks");

            // the instance that redelivers must know the job's result (its view follows relay.results)
            Http h = new Http(guarded.port());
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> h.get("/v1/jobs/" + jobId, Map.of("Authorization", "Bearer " + API_KEY))
                                    .status()
                            == 200);
            int before = deliveries.size();
            b.driver
                    .findElement(row)
                    .findElement(By.cssSelector("button.redeliver"))
                    .click();
            b.waitUpTo(Duration.ofSeconds(20))
                    .until(ExpectedConditions.textToBe(
                            By.xpath("//table[@id='webhooks-table']//tr[td[normalize-space()='" + jobId
                                    + "']]//button[contains(@class,'redeliver')]"),
                            "redelivering…"));
            await().atMost(Duration.ofSeconds(20)).until(() -> deliveries.size() > before);
            // the same signed envelope again: the same webhook-id, so receivers dedupe
            assertThat(deliveries).containsOnly("whk_" + jobId + "_g0");
            b.waitUpTo(Duration.ofSeconds(30)).until(d -> {
                d.navigate().refresh();
                return d.findElements(row).stream().anyMatch(e -> e.getText().contains("delivered"));
            });
            b.screenshot("dashboard-webhook-redelivered");
        }
    }

    @Test
    @Order(5)
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
    @Order(6)
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

    @Test
    @Order(7)
    void shouldRunTheProjectionAndTheDashboardsQueriesAtTheLowestCpuPriority() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux's per-thread /proc");
        assertThat(new Http(ingress.port())
                        .get("/api/dashboard/jobs?limit=5", Map.of())
                        .status())
                .isEqualTo(200);
        Map<String, List<Integer>> nice =
                new java.util.TreeMap<>(); // thread name (15 chars, as the OS keeps it) -> nice
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                ProcStat stat;
                try {
                    stat = ProcStat.read(task.resolve("stat"));
                } catch (java.io.IOException e) {
                    if (Files.exists(task)) {
                        throw e;
                    }
                    continue; // a thread that ended after the listing (another class's, when ITs run in parallel)
                }
                nice.computeIfAbsent(stat.comm(), k -> new java.util.ArrayList<>())
                        .add(stat.nice());
            }
        }
        assertThat(nice.get("relay-logstore")).containsOnly(19);
        assertThat(nice.get("relay-dashboard")).isNotEmpty().containsOnly(19);
        int normal = BackgroundPriority.niceOfCurrentThread().orElseThrow();
        assertThat(normal).isLessThan(19);
        // the rest of the JVM, the request path with it, is untouched: the test's own threads ("main", or JUnit's
        // workers when IT classes run in parallel) keep the normal priority
        String self = ProcStat.read(Path.of("/proc/thread-self/stat")).comm();
        assertThat(nice.get(self)).containsOnly(normal);
    }
}
