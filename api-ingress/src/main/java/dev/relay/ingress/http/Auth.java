package dev.relay.ingress.http;

import dev.relay.config.Secret;
import io.javalin.http.Context;
import java.util.List;

/**
 * Optional bearer-key auth. With no keys configured everything is allowed. The tenant of a request is the matching
 * key's source name ({@code env.TEAM_A_KEY}), never the key itself; it scopes Idempotency-Keys.
 */
public final class Auth {

    public static final String TENANT = "relay.tenant";
    private final List<Secret> keys;

    public Auth(List<Secret> keys) {
        this.keys = List.copyOf(keys);
    }

    public void check(Context ctx) {
        if (keys.isEmpty()) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException(
                    401,
                    "invalid_request_error",
                    null,
                    "missing_api_key",
                    "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.");
        }
        String candidate = header.substring(7).trim();
        for (Secret key : keys) {
            if (key.matches(candidate)) {
                ctx.attribute(TENANT, key.source());
                return;
            }
        }
        throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", "Incorrect API key provided.");
    }

    public static String tenant(Context ctx) {
        return ctx.attribute(TENANT);
    }
}
