package dev.relay.ingress.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.relay.config.Secret;
import dev.relay.config.WebhookSettings;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deliveries against a real local HTTP receiver (WireMock). */
class WebhookSenderTest {

    private static final String SECRET = "whsec_c2VjcmV0LWZvci10ZXN0cw==";
    private WireMockServer receiver;

    @BeforeEach
    void start() {
        receiver = new WireMockServer(wireMockConfig().dynamicPort());
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop();
    }

    private WebhookSender sender(Duration retryFor, boolean allowPrivate) {
        return sender(retryFor, allowPrivate, new TargetGuard(allowPrivate));
    }

    private WebhookSender sender(Duration retryFor, boolean allowPrivate, TargetGuard guard) {
        WebhookSettings s = new WebhookSettings(
                Optional.of(Secret.literal(SECRET)),
                Duration.ofSeconds(2),
                retryFor,
                Duration.ofMillis(20),
                Duration.ofMillis(100),
                allowPrivate,
                Optional.empty());
        return new WebhookSender(s, new WebhookSigner(s.secret()), guard, Clock.systemUTC());
    }

    @Test
    void shouldRetryAfterA500AndDeliverWithAValidSignature() throws Exception {
        receiver.stubFor(post(urlEqualTo("/hook"))
                .inScenario("flaky")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(500))
                .willSetStateTo("ok"));
        receiver.stubFor(post(urlEqualTo("/hook"))
                .inScenario("flaky")
                .whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(204)));
        List<Integer> progress = new CopyOnWriteArrayList<>();

        WebhookSender.Outcome o = sender(Duration.ofSeconds(10), true)
                .deliver(
                        receiver.baseUrl() + "/hook",
                        "whk_1",
                        "{\"id\":\"job_1\"}",
                        attempts -> progress.add(attempts.size()));

        assertThat(o.state()).isEqualTo(WebhookSender.State.DELIVERED);
        assertThat(o.attempts()).extracting(WebhookSender.Attempt::status).containsExactly(500, 204);
        assertThat(progress).containsExactly(1);
        List<LoggedRequest> got = receiver.findAll(postRequestedFor(urlEqualTo("/hook")));
        assertThat(got).hasSize(2);
        LoggedRequest last = got.get(1);
        assertThat(last.getHeader("webhook-id")).isEqualTo("whk_1");
        assertThat(last.getHeader("webhook-signature"))
                .isEqualTo("v1,"
                        + hmac(
                                last.getHeader("webhook-id"),
                                last.getHeader("webhook-timestamp"),
                                last.getBodyAsString()));
    }

    @Test
    void shouldGiveUpAfterRetryForAndRecordEveryAttempt() throws Exception {
        receiver.stubFor(post(urlEqualTo("/down")).willReturn(aResponse().withStatus(503)));

        WebhookSender.Outcome o =
                sender(Duration.ofMillis(300), true).deliver(receiver.baseUrl() + "/down", "whk_2", "{}", a -> {});

        assertThat(o.state()).isEqualTo(WebhookSender.State.GAVE_UP);
        assertThat(o.attempts().size()).isGreaterThan(1);
        assertThat(o.attempts()).allMatch(a -> a.status() == 503);
    }

    @Test
    void shouldRefuseLoopbackUnlessAllowed() throws Exception {
        WebhookSender.Outcome o =
                sender(Duration.ofSeconds(1), false).deliver(receiver.baseUrl() + "/hook", "whk_3", "{}", a -> {});

        assertThat(o.state()).isEqualTo(WebhookSender.State.REFUSED);
        assertThat(receiver.getAllServeEvents()).isEmpty();
    }

    @Test
    void shouldConnectOnlyToTheAddressItCheckedWhenDnsRebinds() throws Exception {
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(204)));
        // a name that resolves to a public address at the submit check and to loopback afterwards (DNS rebinding)
        AtomicInteger lookups = new AtomicInteger();
        TargetGuard.Lookup rebinding = host -> new InetAddress[] {
            InetAddress.getByAddress(
                    host,
                    lookups.getAndIncrement() == 0
                            ? new byte[] {93, (byte) 184, (byte) 216, 34}
                            : new byte[] {127, 0, 0, 1})
        };
        TargetGuard guard = new TargetGuard(false, rebinding);
        String url = "http://rebind.relay.test:" + receiver.port() + "/hook";
        assertThat(guard.checkResolved(url).allowed())
                .as("the check at submit sees the public address")
                .isTrue();

        WebhookSender.Outcome o;
        try (WebhookSender sender = sender(Duration.ofSeconds(1), false, guard)) {
            o = sender.deliver(url, "whk_4", "{}", a -> {});
        }

        assertThat(o.state()).isEqualTo(WebhookSender.State.REFUSED);
        assertThat(o.attempts().getLast().error()).contains("127.0.0.1");
        assertThat(receiver.getAllServeEvents())
                .as("nothing reached the loopback receiver")
                .isEmpty();
    }

    @Test
    void shouldConnectToTheCheckedAddressWithTheHostNameInTheHostHeader() throws Exception {
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(204)));
        // the test JVM's hosts file maps loopback.relay.test to 127.0.0.1; private targets allowed here
        String url = "http://loopback.relay.test:" + receiver.port() + "/hook";
        WebhookSender.Outcome o;
        try (WebhookSender sender = sender(Duration.ofSeconds(1), true)) {
            o = sender.deliver(url, "whk_5", "{}", a -> {});
        }

        assertThat(o.state()).isEqualTo(WebhookSender.State.DELIVERED);
        LoggedRequest got =
                receiver.findAll(postRequestedFor(urlEqualTo("/hook"))).getFirst();
        assertThat(got.getHeader("Host")).isEqualTo("loopback.relay.test:" + receiver.port());
    }

    /** Verification as a receiver would do it, independent of WebhookSigner. */
    private static String hmac(String id, String ts, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
        return Base64.getEncoder()
                .encodeToString(mac.doFinal((id + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8)));
    }
}
