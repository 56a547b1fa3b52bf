package dev.relay.ingress.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.Secret;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

    @Test
    void shouldMatchTheStandardWebhooksReferenceVector() {
        // The reference vector published with the Standard Webhooks libraries.
        WebhookSigner signer = new WebhookSigner(Optional.of(Secret.literal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")));

        var headers = signer.headers("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}");

        assertThat(headers)
                .containsEntry("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
                .containsEntry("webhook-timestamp", "1614265330")
                .containsEntry("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void shouldSendNoSignatureWithoutASecret() {
        assertThat(new WebhookSigner(Optional.empty()).headers("id", 1, "{}")).doesNotContainKey("webhook-signature");
    }
}
