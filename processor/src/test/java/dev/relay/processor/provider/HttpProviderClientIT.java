package dev.relay.processor.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.sun.net.httpserver.HttpServer;
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
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Transport rules shared by every HTTP adapter: timeouts, extra headers, deadlines. */
class HttpProviderClientIT {

    WireMockServer server;

    @BeforeEach
    void start() {
        server = new WireMockServer(options().dynamicPort());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
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
        server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withFixedDelay(4000)));
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
        HttpServer stalling = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stalling.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        stalling.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 200);
            ex.getResponseBody().write("{\"id\": \"chatcmpl-1\", ".getBytes(StandardCharsets.UTF_8));
            ex.getResponseBody().flush();
            try {
                Thread.sleep(8_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        stalling.start();
        String json = "{\"providers\": {\"openai\": {\"network_config\": {\"base_url\": \"http://127.0.0.1:"
                + stalling.getAddress().getPort() + "\", \"default_request_timeout_in_seconds\": 1}}}}";
        ProviderConfig config = new ConfigLoader(n -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("openai");
        try (ProviderClient c = ProviderClients.create(config)) {
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
        } finally {
            stalling.stop(0);
        }
    }

    @Test
    void shouldFailWithoutCallingWhenDeadlineHasPassed() throws Exception {
        try (ProviderClient c = client("")) {
            AttemptOutcome o = c.call(call(Instant.now().minusSeconds(1))).get(5, TimeUnit.SECONDS);
            assertThat(((AttemptOutcome.Failure) o).failureClass()).isEqualTo(FailureClass.TIMEOUT);
            assertThat(server.findAll(anyRequestedFor(anyUrl()))).isEmpty();
        }
    }

    @Test
    void shouldSendExtraHeadersWithoutLettingThemReplaceTheKey() throws Exception {
        server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(500)));
        try (ProviderClient c =
                client(", \"extra_headers\": {\"X-Team\": \"relay\", \"Authorization\": \"Bearer other\"}")) {
            c.call(call(Instant.now().plusSeconds(5))).get(5, TimeUnit.SECONDS);
        }
        var r = server.findAll(anyRequestedFor(anyUrl())).get(0);
        assertThat(r.getHeader("X-Team")).isEqualTo("relay");
        assertThat(r.getHeader("Authorization")).isEqualTo("Bearer sk-transport-test-key");
        assertThat(r.getHeaders().getHeader("Authorization").values()).hasSize(1);
    }

    @Test
    void shouldFailTheCallWithTheMappersExceptionSoItIsClassedAsABug() throws Exception {
        server.stubFor(any(anyUrl())
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"id\": \"chatcmpl-1\", \"object\": \"chat.completion\", \"choices\": "
                                + "[{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"hi\"}, "
                                + "\"finish_reason\": \"stop\"}]}")));
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
        assertThat(server.findAll(anyRequestedFor(anyUrl()))).hasSize(1);
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
