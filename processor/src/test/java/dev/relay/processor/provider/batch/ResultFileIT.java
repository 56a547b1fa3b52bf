package dev.relay.processor.provider.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.openai.OpenAiDialect;
import dev.relay.testkit.provider.Dialect;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.Route;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Large provider result files (a 24 h batch holds up to 50,000 items) are read line by line as they arrive: each
 * line becomes an item result, a blank line is skipped, a line that is not JSON becomes an unreadable result that
 * names the line (and the custom_id it names, if one can be made out) and the lines after it are read as usual.
 */
class ResultFileIT {

    private static final int LINES = 20_000;
    private static final Optional<Secret> KEY = Optional.of(Secret.literal("sk-batch-test"));
    private static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}""";

    /** Line {@code i} of an OpenAI output file: even lines succeed, odd lines were rate limited. */
    private static String outputLine(int i) {
        String response = i % 2 == 0
                ? "{\"status_code\":200,\"body\":" + COMPLETION + "}"
                : "{\"status_code\":429,\"body\":{\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}}";
        return "{\"custom_id\":\"job-" + i + "\",\"response\":" + response + ",\"error\":null}";
    }

    /** A completed batch whose output file holds {@code line(0..LINES-1)}, with a blank line in the middle. */
    private static FakeProvider completedBatch(IntFunction<String> line) {
        FakeProvider fake = FakeProvider.start();
        fake.route(new Route(
                "GET",
                "/v1/batches/{id}",
                Dialect.OPENAI,
                r -> Reply.json(200, "{\"id\":\"batch_1\",\"status\":\"completed\",\"output_file_id\":\"file_out\"}")));
        fake.route(new Route(
                "GET",
                "/v1/files/{id}/content",
                Dialect.OPENAI,
                r -> Reply.respond((req, ex) -> {
                    try (OutputStream out = ex.start(200, 0)) {
                        for (int i = 0; i < LINES; i++) {
                            out.write((line.apply(i) + (i == LINES / 2 ? "\n\n" : "\n"))
                                    .getBytes(StandardCharsets.UTF_8));
                        }
                    }
                })));
        return fake;
    }

    private static BatchHttp http(FakeProvider fake) {
        return new BatchHttp(
                "openai", URI.create(fake.baseUrl()), new OpenAiDialect(), Duration.ofSeconds(30), Map.of());
    }

    @Test
    void shouldMapEveryLineOfATwentyThousandLineOutputFile() throws Exception {
        try (FakeProvider fake = completedBatch(ResultFileIT::outputLine);
                BatchHttp http = http(fake)) {
            var ended = (BatchApi.Poll.Ended) new OpenAiBatchApi(http).poll("batch_1", KEY);

            List<BatchApi.ItemResult> results = ended.results();
            assertThat(results).hasSize(LINES);
            assertThat(results.get(0).customId()).isEqualTo("job-0");
            assertThat(results.get(LINES - 1).customId()).isEqualTo("job-" + (LINES - 1));
            assertThat(results.stream().filter(r -> r.outcome() instanceof AttemptOutcome.Success))
                    .hasSize(LINES / 2);
            assertThat(results.stream()
                            .map(BatchApi.ItemResult::outcome)
                            .filter(o -> o instanceof AttemptOutcome.Failure f
                                    && f.failureClass() == FailureClass.RATE_LIMITED))
                    .hasSize(LINES / 2);
        }
    }

    @Test
    void shouldReadEveryOtherLineAndNameTheLinesThatAreNotJson() throws Exception {
        IntFunction<String> lines = i -> switch (i) {
            case 15_000 -> "{\"custom_id\": job-15000"; // names no custom_id that can be made out
            case 17_000 -> outputLine(i).substring(0, 60); // cut short after its custom_id
            default -> outputLine(i);
        };
        try (FakeProvider fake = completedBatch(lines);
                BatchHttp http = http(fake)) {
            var ended = (BatchApi.Poll.Ended) new OpenAiBatchApi(http).poll("batch_1", KEY);

            List<BatchApi.ItemResult> results = ended.results();
            assertThat(results).hasSize(LINES);
            assertThat(results.stream().filter(r -> BatchFailures.isUnreadable(r.outcome())))
                    .extracting(BatchApi.ItemResult::customId, r -> ((AttemptOutcome.Failure) r.outcome()).message())
                    .containsExactly(
                            // 1-based, after the blank line
                            tuple(
                                    null,
                                    "line 15002 of the output file of provider batch batch_1 could not be read (not JSON)"),
                            tuple(
                                    "job-17000",
                                    "line 17002 of the output file of provider batch batch_1 could not be read (not JSON)"));
            assertThat(results.stream().filter(r -> BatchFailures.isUnreadable(r.outcome())))
                    .allSatisfy(r -> assertThat(((AttemptOutcome.Failure) r.outcome()).failureClass())
                            .isEqualTo(FailureClass.TRANSIENT));
            assertThat(results.stream().filter(r -> r.outcome() instanceof AttemptOutcome.Success))
                    .hasSize(LINES / 2 - 2);
        }
    }

    @Test
    void shouldMapTheFirstLinesBeforeTheRestOfTheFileHasArrived() throws Exception {
        CountDownLatch firstMapped = new CountDownLatch(1);
        try (FakeProvider fake = FakeProvider.start();
                BatchHttp http = http(fake)) {
            fake.route(new Route(
                    "GET",
                    "/v1/files/{id}/content",
                    Dialect.OPENAI,
                    r -> Reply.respond((req, ex) -> {
                        OutputStream out = ex.start(200, 0);
                        for (int i = 0; i < LINES; i++) {
                            out.write((outputLine(i) + "\n").getBytes(StandardCharsets.UTF_8));
                            if (i == LINES / 2) {
                                out.flush();
                                // a reader that waited for the whole file would never map a line: it gets a cut file
                                // instead
                                if (!firstMapped.await(10, TimeUnit.SECONDS)) {
                                    ex.cut();
                                    return;
                                }
                            }
                        }
                        out.close();
                    })));

            List<String> ids = http.jsonLines(
                    "file content",
                    http.request(http.uri("/v1/files/file_out/content"), Map.of())
                            .GET()
                            .build(),
                    line -> {
                        firstMapped.countDown();
                        return line.path("custom_id").asText();
                    },
                    unreadable -> {
                        throw new AssertionError("line " + unreadable.line() + " is not JSON");
                    });

            assertThat(ids).hasSize(LINES).startsWith("job-0", "job-1");
        }
    }
}
