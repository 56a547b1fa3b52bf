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
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
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
        WebhookSettings s = new WebhookSettings(Optional.of(Secret.literal(SECRET)), Duration.ofSeconds(2), retryFor,
                Duration.ofMillis(20), Duration.ofMillis(100), allowPrivate);
        return new WebhookSender(s, new WebhookSigner(s.secret()), new TargetGuard(allowPrivate), Clock.systemUTC());
    }

    @Test
    void shouldRetryAfterA500AndDeliverWithAValidSignature() throws Exception {
        receiver.stubFor(post(urlEqualTo("/hook")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(500)).willSetStateTo("ok"));
        receiver.stubFor(post(urlEqualTo("/hook")).inScenario("flaky").whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(204)));
        List<Integer> progress = new CopyOnWriteArrayList<>();

        WebhookSender.Outcome o = sender(Duration.ofSeconds(10), true).deliver(receiver.baseUrl() + "/hook", "whk_1",
                "{\"id\":\"job_1\"}", attempts -> progress.add(attempts.size()));

        assertThat(o.state()).isEqualTo(WebhookSender.State.DELIVERED);
        assertThat(o.attempts()).extracting(WebhookSender.Attempt::status).containsExactly(500, 204);
        assertThat(progress).containsExactly(1);
        List<LoggedRequest> got = receiver.findAll(postRequestedFor(urlEqualTo("/hook")));
        assertThat(got).hasSize(2);
        LoggedRequest last = got.get(1);
        assertThat(last.getHeader("webhook-id")).isEqualTo("whk_1");
        assertThat(last.getHeader("webhook-signature")).isEqualTo("v1," + hmac(last.getHeader("webhook-id"),
                last.getHeader("webhook-timestamp"), last.getBodyAsString()));
    }

    @Test
    void shouldGiveUpAfterRetryForAndRecordEveryAttempt() throws Exception {
        receiver.stubFor(post(urlEqualTo("/down")).willReturn(aResponse().withStatus(503)));

        WebhookSender.Outcome o = sender(Duration.ofMillis(300), true).deliver(receiver.baseUrl() + "/down", "whk_2",
                "{}", a -> {});

        assertThat(o.state()).isEqualTo(WebhookSender.State.GAVE_UP);
        assertThat(o.attempts().size()).isGreaterThan(1);
        assertThat(o.attempts()).allMatch(a -> a.status() == 503);
    }

    @Test
    void shouldRefuseLoopbackUnlessAllowed() throws Exception {
        WebhookSender.Outcome o = sender(Duration.ofSeconds(1), false).deliver(receiver.baseUrl() + "/hook", "whk_3",
                "{}", a -> {});

        assertThat(o.state()).isEqualTo(WebhookSender.State.REFUSED);
        assertThat(receiver.getAllServeEvents()).isEmpty();
    }

    /** Verification as a receiver would do it, independent of WebhookSigner. */
    private static String hmac(String id, String ts, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
        return Base64.getEncoder().encodeToString(mac.doFinal((id + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8)));
    }
}
