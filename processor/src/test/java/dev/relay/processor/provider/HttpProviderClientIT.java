package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.config.ConfigLoader;
import dev.relay.config.NetworkConfig;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.Dialect;
import dev.relay.processor.provider.http.HttpProviderClient;
import dev.relay.processor.provider.http.HttpTransport;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.processor.provider.openai.OpenAiDialect;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import dev.relay.testkit.provider.Request;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Transport rules shared by every HTTP adapter: timeouts, extra headers, deadlines. */
class HttpProviderClientIT {

    FakeProvider server;

    @BeforeEach
    void start() {
        server = FakeProvider.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    ProviderClient client(String network) {
        String json = "{\"providers\": {\"openai\": {\"network_config\": {\"base_url\": \"" + server.baseUrl() + "\""
                + network + "}}}}";
        ProviderConfig c = new ConfigLoader(n -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("openai");
        return ProviderClients.create(c);
    }

    static ChatCall call(Instant deadline) {
        return new ChatCall(
                "j",
                "gpt-4o-mini",
                ContractRequests.parse(ContractRequests.JSON_MODE),
                Optional.of(Secret.literal("sk-transport-test-key")),
                "k1",
                deadline);
    }

    @Test
    void shouldTimeOutAfterProviderTimeoutWhenDeadlineIsLater() throws Exception {
        server.reply(Reply.ok().after(Duration.ofSeconds(4)));
        try (ProviderClient c = client(", \"default_request_timeout_in_seconds\": 1")) {
            AttemptOutcome o = c.call(call(Instant.now().plusSeconds(60))).get(10, TimeUnit.SECONDS);
            assertThat(o).isInstanceOfSatisfying(AttemptOutcome.Failure.class, f -> {
                assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT);
                // the timeout sent was the provider's 1 s, not the 60 s left until the deadline
                assertThat(f.message()).contains("1000 ms");
            });
        }
    }

    @Test
    void shouldTimeOutWhenTheBodyStallsAfterTheHeaders() throws Exception {
        // 200 and a Content-Length at once, the first bytes of the body, then nothing for 8 s: the JDK's request
        // timeout alone ends at the headers, so without Relay's own whole-exchange timeout this call takes 8 s
        server.reply(Reply.respond((request, exchange) -> {
            exchange.header("Content-Type", "application/json");
            var body = exchange.start(200, 200);
            body.write("{\"id\": \"chatcmpl-1\", ".getBytes(StandardCharsets.UTF_8));
            body.flush();
            Thread.sleep(8_000);
            exchange.cut();
        }));
        try (ProviderClient c = client(", \"default_request_timeout_in_seconds\": 1")) {
            long t0 = System.nanoTime();
            AttemptOutcome o = c.call(call(Instant.now().plusSeconds(60))).get(15, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(o)
                    .isInstanceOfSatisfying(
                            AttemptOutcome.Failure.class,
                            f -> assertThat(f.failureClass()).isEqualTo(FailureClass.TIMEOUT));
            assertThat(tookMs)
                    .as("the call ends at its 1 s timeout, not when the body does")
                    .isLessThan(4000);
        }
    }

    @Test
    void shouldFailWithoutCallingWhenDeadlineHasPassed() throws Exception {
        try (ProviderClient c = client("")) {
            AttemptOutcome o = c.call(call(Instant.now().minusSeconds(1))).get(5, TimeUnit.SECONDS);
            assertThat(((AttemptOutcome.Failure) o).failureClass()).isEqualTo(FailureClass.TIMEOUT);
            assertThat(server.requests()).isEmpty();
        }
    }

    @Test
    void shouldSendExtraHeadersWithoutLettingThemReplaceTheKey() throws Exception {
        server.reply(Reply.error(500));
        try (ProviderClient c =
                client(", \"extra_headers\": {\"X-Team\": \"relay\", \"Authorization\": \"Bearer other\"}")) {
            c.call(call(Instant.now().plusSeconds(5))).get(5, TimeUnit.SECONDS);
        }
        assertThat(server.requests()).hasSize(1);
        Request r = server.requests().get(0);
        assertThat(r.header("X-Team")).isEqualTo("relay");
        assertThat(r.header("Authorization")).isEqualTo("Bearer sk-transport-test-key");
        assertThat(r.headers().get("authorization")).hasSize(1);
    }

    @Test
    void shouldFailTheCallWithTheMappersExceptionSoItIsClassedAsABug() throws Exception {
        server.reply(Reply.json(
                200,
                "{\"id\": \"chatcmpl-1\", \"object\": \"chat.completion\", \"choices\": "
                        + "[{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"hi\"}, "
                        + "\"finish_reason\": \"stop\"}]}"));
        Dialect openAi = new OpenAiDialect();
        Dialect buggy = new Dialect() {
            @Override
            public String defaultBaseUrl() {
                return openAi.defaultBaseUrl();
            }

            @Override
            public WireRequest toWire(ChatCall call, String key) {
                return openAi.toWire(call, key);
            }

            @Override
            public AttemptOutcome fromWire(byte[] body, int status) {
                throw new NullPointerException("a response mapper bug");
            }

            @Override
            public ProviderError parseError(int status, byte[] body) {
                return openAi.parseError(status, body);
            }
        };
        try (ProviderClient c = new HttpProviderClient(
                "openai",
                buggy,
                URI.create(server.baseUrl()),
                network(),
                new HttpTransport(HttpTransport.Settings.defaults(), HttpClient.Version.HTTP_1_1),
                "Relay/test",
                Clock.systemUTC())) {
            var future = c.call(call(Instant.now().plusSeconds(5)));
            assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(NullPointerException.class);
            // what the processor makes of it: a bug, not a TRUNCATED answer to retry or fall back from
            Throwable error = future.handle((o, e) -> e).get();
            assertThat(Classifier.classify(error)).isEqualTo(FailureClass.INTERNAL);
        }
        assertThat(server.requests()).hasSize(1);
    }

    private NetworkConfig network() {
        String json =
                "{\"providers\": {\"openai\": {\"network_config\": {\"base_url\": \"" + server.baseUrl() + "\"}}}}";
        return new ConfigLoader(n -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("openai")
                .network();
    }
}
