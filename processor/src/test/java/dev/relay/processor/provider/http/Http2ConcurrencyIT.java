package dev.relay.processor.provider.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.openai.OpenAiDialect;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport against a real HTTPS HTTP/2 server (Jetty 12, h2 only, MAX_CONCURRENT_STREAMS 100): 1,000 concurrent
 * calls all succeed, and cancelling a call's future aborts its exchange on the wire.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Http2ConcurrencyIT {

    static final int MAX_STREAMS = 100;
    static final String PASSWORD = "changeit";
    static final String ANSWER = """
            {"id":"chatcmpl-h2","object":"chat.completion","created":1741570283,"model":"gpt-4o-mini",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}""";

    Server server;
    int port;
    SSLContext clientSsl;
    volatile long delayMillis = 300;
    final Set<String> versions = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger[]> perConnection = new ConcurrentHashMap<>(); // {current, max}
    final AtomicInteger maxOverall = new AtomicInteger();
    final AtomicInteger current = new AtomicInteger();
    final AtomicInteger heads = new AtomicInteger();
    volatile CountDownLatch arrived = new CountDownLatch(1);
    volatile CountDownLatch aborted = new CountDownLatch(1);

    @BeforeAll
    void startServer(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("h2-test.p12");
        try (InputStream in = getClass().getResourceAsStream("/providers/h2-test.p12")) {
            Files.copy(in, keystore);
        }
        server = new Server();
        HttpConfiguration https = new HttpConfiguration();
        https.addCustomizer(new SecureRequestCustomizer());
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        h2.setMaxConcurrentStreams(MAX_STREAMS);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2");
        alpn.setDefaultProtocol("h2");
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(keystore.toString());
        tls.setKeyStorePassword(PASSWORD);
        tls.setKeyStoreType("PKCS12");
        ServerConnector connector =
                new ServerConnector(server, new SslConnectionFactory(tls, alpn.getProtocol()), alpn, h2);
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if (request.getMethod().equals("HEAD")) { // the transport's connection warm-up
                    heads.incrementAndGet();
                    response.setStatus(404);
                    callback.succeeded();
                    return true;
                }
                versions.add(request.getConnectionMetaData().getHttpVersion().asString());
                AtomicInteger[] conn = perConnection.computeIfAbsent(
                        request.getConnectionMetaData().getId(),
                        id -> new AtomicInteger[] {new AtomicInteger(), new AtomicInteger()});
                conn[1].accumulateAndGet(conn[0].incrementAndGet(), Math::max);
                maxOverall.accumulateAndGet(current.incrementAndGet(), Math::max);
                request.addFailureListener(failure -> aborted.countDown());
                arrived.countDown();
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                request.getComponents()
                        .getScheduler()
                        .schedule(
                                () -> {
                                    conn[0].decrementAndGet();
                                    current.decrementAndGet();
                                    response.write(
                                            true, ByteBuffer.wrap(ANSWER.getBytes(StandardCharsets.UTF_8)), callback);
                                },
                                delayMillis,
                                TimeUnit.MILLISECONDS);
                return true;
            }
        });
        server.start();
        port = connector.getLocalPort();

        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            trust.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientSsl = SSLContext.getInstance("TLS");
        clientSsl.init(null, tmf.getTrustManagers(), null);
    }

    @AfterAll
    void stopServer() throws Exception {
        server.stop();
    }

    @BeforeEach
    void reset() {
        versions.clear();
        perConnection.clear();
        maxOverall.set(0);
        heads.set(0);
    }

    static ChatCall call(int i) {
        return new ChatCall(
                "job-" + i,
                "gpt-4o-mini",
                dev.relay.processor.provider.mapping.Json.object()
                        .put("model", "x")
                        .set(
                                "messages",
                                dev.relay.processor.provider.mapping.Json.NODES
                                        .arrayNode()
                                        .add(dev.relay.processor.provider.mapping.Json.object()
                                                .put("role", "user")
                                                .put("content", "hi " + i))),
                Optional.of(Secret.literal("sk-h2-test")),
                "k1",
                Instant.now().plusSeconds(60));
    }

    @Test
    void shouldCompleteThousandConcurrentCallsOnServerAllowingHundredStreamsPerConnection() throws Exception {
        delayMillis = 300;
        String json = "{\"providers\": {\"h2\": {\"type\": \"openai\", \"network_config\": {\"base_url\": "
                + "\"https://localhost:" + port + "\", \"default_request_timeout_in_seconds\": 60}}}}";
        ProviderConfig config = new ConfigLoader(n -> Optional.empty())
                .parse(json, "test")
                .providers()
                .get("h2");
        try (ProviderClient client = ProviderClients.create(
                config,
                new HttpTransport.Settings(
                        HttpTransport.Settings.DEFAULT_MAX_STREAMS_PER_CLIENT, Duration.ofSeconds(10), clientSsl),
                Clock.systemUTC())) {
            List<CompletableFuture<AttemptOutcome>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                futures.add(client.call(call(i)));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
            List<AttemptOutcome> outcomes =
                    futures.stream().map(CompletableFuture::join).toList();
            assertThat(outcomes)
                    .allSatisfy(o -> assertThat(o).as("outcome %s", o).isInstanceOf(AttemptOutcome.Success.class));
        }
        assertThat(versions).containsExactly("HTTP/2.0");
        assertThat(maxOverall.get())
                .as("calls really overlapped beyond one connection's limit")
                .isGreaterThan(MAX_STREAMS);
        // one connection per pooled client (cap 64 streams), not one TLS handshake per call
        int clients = (1000 + HttpTransport.Settings.DEFAULT_MAX_STREAMS_PER_CLIENT - 1)
                / HttpTransport.Settings.DEFAULT_MAX_STREAMS_PER_CLIENT;
        assertThat(perConnection.size()).isBetween(2, clients);
        assertThat(heads.get()).isEqualTo(perConnection.size());
        assertThat(perConnection.values())
                .allSatisfy(c -> assertThat(c[1].get()).isLessThanOrEqualTo(MAX_STREAMS));
    }

    /**
     * With no useful cap (one client would carry all 1,000 calls; measured: 776 of them fail with "too many concurrent
     * streams" on JDK 25 without the retry), the transport learns the server's limit from the refusals and spreads
     * the calls over more clients.
     */
    @Test
    void shouldLearnServerStreamLimitWhenCapIsAboveIt() throws Exception {
        delayMillis = 300;
        HttpTransport transport = new HttpTransport(
                new HttpTransport.Settings(100_000, Duration.ofSeconds(10), clientSsl), HttpClient.Version.HTTP_2);
        ProviderConfig config = new ConfigLoader(n -> Optional.empty())
                .parse(
                        "{\"providers\": {\"openai\": {\"network_config\": {\"default_request_timeout_in_seconds\": 60}}}}",
                        "test")
                .providers()
                .get("openai");
        try (ProviderClient client = new HttpProviderClient(
                "h2",
                new OpenAiDialect(),
                URI.create("https://localhost:" + port),
                config.network(),
                transport,
                RelayVersion.userAgent(),
                Clock.systemUTC())) {
            List<CompletableFuture<AttemptOutcome>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                futures.add(client.call(call(i)));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
            assertThat(futures)
                    .allSatisfy(f ->
                            assertThat(f.join()).as("outcome %s", f.join()).isInstanceOf(AttemptOutcome.Success.class));
            assertThat(transport.clientCount())
                    .as("overflow went to more clients")
                    .isGreaterThan(1);
        }
        assertThat(perConnection.values())
                .allSatisfy(c -> assertThat(c[1].get()).isLessThanOrEqualTo(MAX_STREAMS));
    }

    @Test
    void shouldAbortTheExchangeWhenTheCallIsCancelled() throws Exception {
        delayMillis = 10_000;
        arrived = new CountDownLatch(1);
        aborted = new CountDownLatch(1);
        HttpTransport transport = new HttpTransport(
                new HttpTransport.Settings(64, Duration.ofSeconds(10), clientSsl), HttpClient.Version.HTTP_2);
        ProviderConfig config = new ConfigLoader(n -> Optional.empty())
                .parse("{\"providers\": {\"openai\": {}}}", "test")
                .providers()
                .get("openai");
        try (ProviderClient client = new HttpProviderClient(
                "h2",
                new OpenAiDialect(),
                URI.create("https://localhost:" + port),
                config.network(),
                transport,
                RelayVersion.userAgent(),
                Clock.systemUTC())) {
            CompletableFuture<AttemptOutcome> f = client.call(call(1));
            assertThat(arrived.await(10, TimeUnit.SECONDS))
                    .as("request reached the server")
                    .isTrue();
            assertThat(transport.inFlight()).isEqualTo(1);
            assertThat(f.cancel(true)).isTrue();
            assertThat(aborted.await(10, TimeUnit.SECONDS))
                    .as("server saw the stream reset")
                    .isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> transport.inFlight() == 0);
        }
    }
}
