package dev.relay.ingress.webhook;

import dev.relay.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing: {@code webhook-signature: v1,base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))}.
 * A secret of the form {@code whsec_<base64>} is base64-decoded to the key, as the spec's libraries do; any other
 * secret is used as its UTF-8 bytes. Without a secret, deliveries carry the id and timestamp but no signature.
 */
public final class WebhookSigner {

    private final byte[] key;

    public WebhookSigner(Optional<Secret> secret) {
        this.key = secret.map(s -> keyBytes(s.reveal())).orElse(null);
    }

    static byte[] keyBytes(String secret) {
        if (secret.startsWith("whsec_")) {
            return Base64.getDecoder().decode(secret.substring("whsec_".length()));
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    public boolean signs() {
        return key != null;
    }

    public Map<String, String> headers(String id, long timestampSeconds, String body) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("webhook-id", id);
        h.put("webhook-timestamp", Long.toString(timestampSeconds));
        if (key != null) {
            h.put("webhook-signature", "v1," + sign(key, id, timestampSeconds, body));
        }
        return h;
    }

    public static String sign(byte[] key, String id, long timestampSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] sig = mac.doFinal((id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(sig);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
