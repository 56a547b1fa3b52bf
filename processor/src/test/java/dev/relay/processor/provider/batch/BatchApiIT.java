package dev.relay.processor.provider.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.testkit.provider.Dialect;
import dev.relay.testkit.provider.FakeBatches;
import dev.relay.testkit.provider.FakeBatches.Fate;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.Request;
import dev.relay.testkit.provider.Route;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Both batch adapters against the test kit's fake batch APIs, which speak OpenAI's Files and Batches and Anthropic's
 * Message Batches wire formats: what goes on the wire (paths, key headers, the JSONL lines and the marker, the
 * Message Batch requests), and how each kind of item result becomes an outcome.
 */
class BatchApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Optional<Secret> KEY = Optional.of(Secret.literal("sk-batch-test"));

    private static final Function<String, Fate> BY_PREFIX = id -> switch (id.substring(0, 3)) {
        case "err" -> Fate.ERROR;
        case "exp" -> Fate.EXPIRE;
        case "can" -> Fate.CANCEL;
        default -> Fate.SUCCEED;
    };

    private static BatchApi api(String type, FakeProvider fake) {
        return BatchApis.create(config(type, fake)).orElseThrow();
    }

    private static ProviderConfig config(String type, FakeProvider fake) {
        String json = """
                {"providers": {"p": {"type": "%s", "keys": [{"name": "k", "value": "sk-batch-test"}],
                                     "network_config": {"base_url": "%s"}, "batch": {"enabled": true}}}}
                """.formatted(type, fake.baseUrl());
        return new ConfigLoader(n -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("p");
    }

    private static List<BatchApi.Item> items() {
        return List.of("ok-1", "err-2", "exp-3", "can-4").stream()
                .map(id -> {
                    ObjectNode req = JSON.createObjectNode();
                    req.put("model", "m");
                    req.putArray("messages").addObject().put("role", "user").put("content", "hello " + id);
                    req.put("max_tokens", 50);
                    return new BatchApi.Item(id, req);
                })
                .toList();
    }

    /** Polls until the batch has ended (a cancelled one ends 0.2 s after the cancel). */
    private static Map<String, AttemptOutcome> ended(BatchApi api, String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        BatchApi.Poll p = api.poll(id, KEY);
        while (p instanceof BatchApi.Poll.Running && System.nanoTime() < until) {
            Thread.sleep(50);
            p = api.poll(id, KEY);
        }
        assertThat(p).isInstanceOf(BatchApi.Poll.Ended.class);
        return ((BatchApi.Poll.Ended) p)
                .results().stream()
                        .collect(Collectors.toMap(BatchApi.ItemResult::customId, BatchApi.ItemResult::outcome));
    }

    private static Map<String, AttemptOutcome> await(BatchApi api, String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        BatchApi.Poll p = api.poll(id, KEY);
        assertThat(p).isInstanceOf(BatchApi.Poll.Running.class);
        while (p instanceof BatchApi.Poll.Running && System.nanoTime() < until) {
            Thread.sleep(50);
            p = api.poll(id, KEY);
        }
        assertThat(p).isInstanceOf(BatchApi.Poll.Ended.class);
        return ((BatchApi.Poll.Ended) p)
                .results().stream()
                        .collect(Collectors.toMap(BatchApi.ItemResult::customId, BatchApi.ItemResult::outcome));
    }

    private static void assertOutcomes(Map<String, AttemptOutcome> out) {
        assertThat(out).containsOnlyKeys("ok-1", "err-2", "exp-3", "can-4");
        var ok = (AttemptOutcome.Success) out.get("ok-1");
        assertThat(ok.completion().at("/choices/0/message/content").asText()).isEqualTo("batch answer ok-1");
        assertThat(ok.usage().promptTokens()).isEqualTo(5);
        var err = (AttemptOutcome.Failure) out.get("err-2");
        assertThat(err.failureClass()).isEqualTo(FailureClass.TRANSIENT);
        assertThat(err.httpStatus()).hasValue(500);
        var exp = (AttemptOutcome.Failure) out.get("exp-3");
        assertThat(exp.failureClass()).isEqualTo(FailureClass.TIMEOUT);
        assertThat(exp.errorCode()).isEqualTo(BatchFailures.EXPIRED);
        var can = (AttemptOutcome.Failure) out.get("can-4");
        assertThat(can.failureClass()).isEqualTo(FailureClass.TRANSIENT);
        assertThat(can.errorCode()).isEqualTo(BatchFailures.CANCELLED);
    }

    @Test
    void shouldUploadTheJsonlCreateTheBatchWithItsMarkerAndMapEachLineOfTheOutputAndErrorFiles() throws Exception {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake).fates(BY_PREFIX).completionDelay(Duration.ofMillis(300));
            BatchApi api = api("openai", fake);
            String id = api.submit("rpb_marker1", "gpt-4o-mini", items(), KEY);
            assertThat(id).startsWith("batch_");

            Request upload = fake.requests().get(0);
            assertThat(upload.path()).isEqualTo("/v1/files");
            assertThat(upload.header("authorization")).isEqualTo("Bearer sk-batch-test");
            assertThat(upload.header("content-type")).startsWith("multipart/form-data; boundary=");
            String body = upload.bodyText();
            assertThat(body).contains("name=\"purpose\"\r\n\r\nbatch\r\n");
            JsonNode firstLine = JSON.readTree(
                    body.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
            assertThat(firstLine.path("custom_id").asText()).isEqualTo("ok-1");
            assertThat(firstLine.path("method").asText()).isEqualTo("POST");
            assertThat(firstLine.path("url").asText()).isEqualTo("/v1/chat/completions");
            assertThat(firstLine.at("/body/model").asText()).isEqualTo("gpt-4o-mini");
            assertThat(firstLine.at("/body/messages/0/content").asText()).isEqualTo("hello ok-1");

            Request createRequest = fake.requests().get(1);
            assertThat(createRequest.path()).isEqualTo("/v1/batches");
            assertThat(createRequest.header("authorization")).isEqualTo("Bearer sk-batch-test");
            assertThat(createRequest.header("content-type")).isEqualTo("application/json");
            JsonNode create = createRequest.json();
            assertThat(create.path("endpoint").asText()).isEqualTo("/v1/chat/completions");
            assertThat(create.path("completion_window").asText()).isEqualTo("24h");
            assertThat(create.at("/metadata/relay_batch").asText()).isEqualTo("rpb_marker1");

            Instant since = Instant.now().minusSeconds(60);
            assertThat(api.find("rpb_marker1", since, Set.of(), KEY)).isEqualTo(new BatchApi.Lookup.Found(id));
            assertThat(api.find("rpb_other", since, Set.of(), KEY)).isEqualTo(new BatchApi.Lookup.NotFound());
            assertOutcomes(await(api, id));
        }
    }

    /**
     * The upload is streamed from a temporary file; what reaches the provider must be byte for byte the multipart body
     * that was built in memory before: the purpose part, the file part with its JSONL (one line per item, the request
     * the real-time call would send as its body), the closing boundary, and a matching Content-Length.
     */
    @Test
    void shouldStreamTheUploadAsExactlyTheMultipartBodyOfTheJsonlLines() throws Exception {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake);
            BatchApi api = api("openai", fake);
            List<BatchApi.Item> items = bulkItems();
            api.submit("rpb_bytes", "gpt-4o-mini", items, KEY);

            Request upload = fake.requests().get(0);
            String type = upload.header("content-type");
            String boundary = type.substring(type.indexOf("boundary=") + 9);
            var dialect = ProviderClients.dialect(config("openai", fake));
            java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
            expected.writeBytes(
                    ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                                    + "--" + boundary
                                    + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rpb_bytes.jsonl\"\r\n"
                                    + "Content-Type: application/jsonl\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
            for (BatchApi.Item item : items) {
                ObjectNode line = JSON.createObjectNode();
                line.put("custom_id", item.customId()).put("method", "POST").put("url", "/v1/chat/completions");
                ChatCall call = new ChatCall(
                        item.customId(), "gpt-4o-mini", item.request().get(), Optional.empty(), null, Instant.MAX);
                line.set("body", JSON.readTree(dialect.toWire(call, "").body()));
                expected.writeBytes(JSON.writeValueAsBytes(line));
                expected.write('\n');
            }
            expected.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));

            assertThat(expected.size()).isGreaterThan(300 * 4096);
            assertThat(upload.body()).isEqualTo(expected.toByteArray());
            assertThat(upload.header("content-length")).isEqualTo(Integer.toString(expected.size()));
            assertThat(fake.requests().get(1).json().path("input_file_id").asText())
                    .startsWith("file-");
        }
    }

    /** The four items of {@link #items()} and 300 more of over 4 KB each (with characters outside ASCII). */
    private static List<BatchApi.Item> bulkItems() {
        List<BatchApi.Item> items = new java.util.ArrayList<>(items());
        String big = "x".repeat(4096) + "\u00e9\u4e2d";
        for (int i = 0; i < 300; i++) {
            ObjectNode req = JSON.createObjectNode();
            req.putArray("messages").addObject().put("role", "user").put("content", i + big);
            items.add(new BatchApi.Item("bulk-" + i, req));
        }
        return items;
    }

    /**
     * The Message Batch create body is written request by request to a temporary file and sent from it; what reaches
     * the provider must be byte for byte the body that was built as one JSON tree in memory before ({@code requests}:
     * each item's {@code custom_id} and the Messages request the real-time call would send as {@code params}), with a
     * matching Content-Length.
     */
    @Test
    void shouldStreamTheMessageBatchCreateAsExactlyTheJsonOfAllItsRequests() throws Exception {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake);
            BatchApi api = api("anthropic", fake);
            List<BatchApi.Item> items = bulkItems();
            String id = api.submit("rpb_abytes", "claude-3-5-haiku-latest", items, KEY);
            assertThat(id).startsWith("msgbatch_");

            var dialect = ProviderClients.dialect(config("anthropic", fake));
            ObjectNode whole = JSON.createObjectNode();
            var requests = whole.putArray("requests");
            for (BatchApi.Item item : items) {
                ChatCall call = new ChatCall(
                        item.customId(),
                        "claude-3-5-haiku-latest",
                        item.request().get(),
                        Optional.empty(),
                        null,
                        Instant.MAX);
                ObjectNode r = requests.addObject();
                r.put("custom_id", item.customId());
                r.set("params", JSON.readTree(dialect.toWire(call, "").body()));
            }
            byte[] expected = dev.relay.processor.provider.mapping.Json.bytes(whole);

            Request create = fake.requests().get(0);
            assertThat(create.path()).isEqualTo("/v1/messages/batches");
            assertThat(create.header("content-type")).isEqualTo("application/json");
            assertThat(expected.length).isGreaterThan(300 * 4096);
            assertThat(create.body()).isEqualTo(expected);
            assertThat(create.header("content-length")).isEqualTo(Integer.toString(expected.length));
            assertThat(create.json().path("requests")).hasSize(304);
        }
    }

    @Test
    void shouldCreateAMessageBatchWithEachRequestsParamsAndMapEachResultType() throws Exception {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake).fates(BY_PREFIX).completionDelay(Duration.ofSeconds(2));
            BatchApi api = api("anthropic", fake);
            String id = api.submit("rpb_marker2", "claude-3-5-haiku-latest", items(), KEY);
            assertThat(id).startsWith("msgbatch_");

            Request create = fake.requests().get(0);
            assertThat(create.path()).isEqualTo("/v1/messages/batches");
            assertThat(create.header("x-api-key")).isEqualTo("sk-batch-test");
            assertThat(create.header("anthropic-version")).isEqualTo("2023-06-01");
            assertThat(create.header("content-type")).isEqualTo("application/json");
            JsonNode first = create.json().path("requests").get(0);
            assertThat(first.path("custom_id").asText()).isEqualTo("ok-1");
            assertThat(first.at("/params/model").asText()).isEqualTo("claude-3-5-haiku-latest");
            assertThat(first.at("/params/max_tokens").asInt()).isEqualTo(50);
            assertThat(first.at("/params/messages/0/role").asText()).isEqualTo("user");

            // no metadata: a cut-off submit is found by its items, once its candidate batch has ended
            Set<String> mine = Set.of("ok-1", "err-2", "exp-3", "can-4");
            Instant since = Instant.now().minusSeconds(60);
            assertThat(api.find("rpb_marker2", since, mine, KEY)).isInstanceOf(BatchApi.Lookup.Undecided.class);
            Map<String, AttemptOutcome> out = await(api, id);
            assertThat(api.find("rpb_marker2", since, mine, KEY)).isEqualTo(new BatchApi.Lookup.Found(id));
            assertThat(api.find("rpb_x", since, Set.of("a", "b", "c", "d"), KEY))
                    .isEqualTo(new BatchApi.Lookup.NotFound());
            assertThat(api.find("rpb_x", since, Set.of("a"), KEY)).isEqualTo(new BatchApi.Lookup.NotFound());
            assertOutcomes(out);
            assertThat(((AttemptOutcome.Success) out.get("ok-1"))
                            .completion()
                            .path("object")
                            .asText())
                    .isEqualTo("chat.completion");
            Request results = fake.requests().stream()
                    .filter(q -> q.path().endsWith("/results"))
                    .findFirst()
                    .orElseThrow();
            assertThat(results.path()).isEqualTo("/v1/messages/batches/" + id + "/results");
            assertThat(results.header("x-api-key")).isEqualTo("sk-batch-test");
        }
    }

    /**
     * Both cancel endpoints: the batch is cancelling (Anthropic: canceling), then has ended; the item the provider had
     * done keeps its result, the others come back cancelled (OpenAI's error line {@code batch_cancelled}; Anthropic's
     * {@code canceled}), classified as any cancelled item is. A cancel of a batch that has ended is refused.
     */
    @Test
    void shouldCancelABatchAtEitherProviderAndKeepTheResultOfTheItemItHadDone() throws Exception {
        try (FakeProvider fake = FakeProvider.start()) {
            // the items are done at 5, 10, 15 and 20 s
            FakeBatches.on(fake).fates(BY_PREFIX).completionDelay(Duration.ofSeconds(20));
            BatchApi openai = api("openai", fake);
            BatchApi anthropic = api("anthropic", fake);
            String oa = openai.submit("rpb_c1", "gpt-4o-mini", items(), KEY);
            String an = anthropic.submit("rpb_c2", "claude-3-5-haiku-latest", items(), KEY);
            Thread.sleep(6_000);
            assertThat(openai.cancel(oa, KEY)).isEqualTo("cancelling");
            assertThat(anthropic.cancel(an, KEY)).isEqualTo("canceling");
            Request cancel = fake.requests().stream()
                    .filter(q -> q.path().equals("/v1/messages/batches/" + an + "/cancel"))
                    .findFirst()
                    .orElseThrow();
            assertThat(cancel.method()).isEqualTo("POST");
            assertThat(cancel.header("x-api-key")).isEqualTo("sk-batch-test");
            assertThat(cancel.header("anthropic-version")).isEqualTo("2023-06-01");
            assertThat(cancel.body()).isEmpty();
            Request openaiCancel = fake.requests().stream()
                    .filter(q -> q.path().equals("/v1/batches/" + oa + "/cancel"))
                    .findFirst()
                    .orElseThrow();
            assertThat(openaiCancel.method()).isEqualTo("POST");
            assertThat(openaiCancel.header("authorization")).isEqualTo("Bearer sk-batch-test");
            assertThat(openaiCancel.body()).isEmpty();
            for (var out : List.of(ended(openai, oa), ended(anthropic, an))) {
                assertThat(out).containsOnlyKeys("ok-1", "err-2", "exp-3", "can-4");
                assertThat(out.get("ok-1")).isInstanceOf(AttemptOutcome.Success.class);
                for (String id : List.of("err-2", "exp-3", "can-4")) {
                    var f = (AttemptOutcome.Failure) out.get(id);
                    assertThat(f.errorCode()).as(id).isEqualTo(BatchFailures.CANCELLED);
                    assertThat(f.failureClass()).isEqualTo(FailureClass.TRANSIENT);
                }
            }
            assertThat(((BatchApi.Poll.Ended) openai.poll(oa, KEY)).status()).isEqualTo("cancelled");
            assertThatThrownBy(() -> openai.cancel(oa, KEY))
                    .isInstanceOfSatisfying(
                            BatchApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                    .hasMessageStartingWith("p batch cancel: HTTP 400 ");
            assertThatThrownBy(() -> anthropic.cancel(an, KEY))
                    .isInstanceOf(BatchApiException.class)
                    .hasMessageStartingWith("p message batch cancel: HTTP ");
        }
    }

    /**
     * Both adapters' list and retrieve calls: a {@code GET} with the key headers and no body, on the list's first page
     * ({@code limit=100}) and the batch's path; a retrieve the provider refuses names the call and its status.
     */
    @Test
    void shouldListAndRetrieveWithTheKeyAndNameARefusedRetrieve() throws Exception {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake);
            BatchApi openai = api("openai", fake);
            BatchApi anthropic = api("anthropic", fake);
            Instant since = Instant.now().minusSeconds(60);
            assertThat(openai.find("rpb_none", since, Set.of("a"), KEY)).isEqualTo(new BatchApi.Lookup.NotFound());
            assertThat(anthropic.find("rpb_none", since, Set.of("a"), KEY)).isEqualTo(new BatchApi.Lookup.NotFound());
            assertThatThrownBy(() -> openai.poll("batch_nope", KEY))
                    .isInstanceOfSatisfying(
                            BatchApiException.class, e -> assertThat(e.status()).isEqualTo(404))
                    .hasMessageStartingWith("p batch retrieve: HTTP 404 ");
            assertThatThrownBy(() -> anthropic.poll("msgbatch_nope", KEY))
                    .isInstanceOfSatisfying(
                            BatchApiException.class, e -> assertThat(e.status()).isEqualTo(404))
                    .hasMessageStartingWith("p message batch retrieve: HTTP 404 ");

            List<Request> gets = fake.requests();
            assertThat(gets).extracting(Request::method).containsOnly("GET");
            assertThat(gets)
                    .extracting(q -> q.path() + "?" + q.query())
                    .containsExactly(
                            "/v1/batches?limit=100",
                            "/v1/messages/batches?limit=100",
                            "/v1/batches/batch_nope?",
                            "/v1/messages/batches/msgbatch_nope?");
            assertThat(gets).allSatisfy(q -> assertThat(q.body()).isEmpty());
            for (Request q : List.of(gets.get(0), gets.get(2))) {
                assertThat(q.header("authorization")).isEqualTo("Bearer sk-batch-test");
            }
            for (Request q : List.of(gets.get(1), gets.get(3))) {
                assertThat(q.header("x-api-key")).isEqualTo("sk-batch-test");
                assertThat(q.header("anthropic-version")).isEqualTo("2023-06-01");
            }
        }
    }

    @Test
    void shouldClassifyARefusedSubmitByItsStatusAndBody() {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake);
            fake.route(new Route(
                    "POST",
                    "/v1/messages/batches",
                    Dialect.ANTHROPIC,
                    r -> Reply.error(401, "authentication_error", "invalid x-api-key: sk-batch-test")));
            BatchApi api = api("anthropic", fake);
            assertThatThrownBy(() -> api.submit("rpb_x", "claude", items(), KEY))
                    .isInstanceOfSatisfying(BatchApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.failureClass()).isEqualTo(FailureClass.AUTH);
                        assertThat(e.getMessage())
                                .doesNotContain("sk-batch-test")
                                .contains("invalid x-api-key: [redacted]");
                        assertThat(e.error().message()).doesNotContain("sk-batch-test");
                    });
        }
    }

    /** A provider that echoes the key in its error (OpenAI's 401 does) has it taken out, whatever its shape. */
    @Test
    void shouldRedactAKeyTheProviderEchoesInARefusal() {
        try (FakeProvider fake = FakeProvider.start()) {
            FakeBatches.on(fake);
            fake.route(new Route(
                    "POST",
                    "/v1/files",
                    Dialect.OPENAI,
                    r -> Reply.error(401, "invalid_request_error", "Incorrect API key provided: sk-batch-test.")));
            BatchApi api = api("openai", fake);
            assertThatThrownBy(() -> api.submit("rpb_x", "gpt", items(), KEY))
                    .isInstanceOfSatisfying(BatchApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.getMessage())
                                .doesNotContain("sk-batch-test")
                                .contains("Incorrect API key provided: [redacted]");
                    });
        }
    }
}
