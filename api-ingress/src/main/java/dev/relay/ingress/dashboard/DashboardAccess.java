package dev.relay.ingress.dashboard;

import dev.relay.config.Secret;
import dev.relay.ingress.http.ApiException;
import io.javalin.http.Context;
import java.util.List;

/**
 * Who may read the dashboard's API and who may act through it. With {@code ingress.api_keys} set, reading needs one
 * of them (or an admin key) as {@code Authorization: Bearer}; replay and redeliver need an {@code ingress.admin_keys}
 * key, as the bearer or in {@code X-Relay-Admin-Key}. With no keys configured at all (a local stack) everything is
 * open. Keys are compared, never echoed.
 */
public final class DashboardAccess {

    public static final String ADMIN_HEADER = "X-Relay-Admin-Key";

    private final List<Secret> apiKeys;
    private final List<Secret> adminKeys;

    public DashboardAccess(List<Secret> apiKeys, List<Secret> adminKeys) {
        this.apiKeys = List.copyOf(apiKeys);
        this.adminKeys = List.copyOf(adminKeys);
    }

    private boolean open() {
        return apiKeys.isEmpty() && adminKeys.isEmpty();
    }

    public void read(Context ctx) {
        if (open() || apiKeys.isEmpty()) {
            return;
        }
        String bearer = bearer(ctx);
        if (bearer == null) {
            throw new ApiException(
                    401,
                    "invalid_request_error",
                    null,
                    "missing_api_key",
                    "The dashboard needs an API key. Send it as 'Authorization: Bearer <key>'.");
        }
        if (!matches(apiKeys, bearer) && !matches(adminKeys, bearer)) {
            throw new ApiException(
                    401, "invalid_request_error", null, "invalid_api_key", "Incorrect API key provided.");
        }
    }

    public void admin(Context ctx) {
        if (open()) {
            return;
        }
        if (adminKeys.isEmpty()) {
            throw new ApiException(
                    403,
                    "permission_error",
                    null,
                    "admin_key_required",
                    "Replay and redeliver need an admin key, and ingress.admin_keys is not configured.");
        }
        String header = ctx.header(ADMIN_HEADER);
        String candidate = header != null && !header.isBlank() ? header.trim() : bearer(ctx);
        if (candidate == null || !matches(adminKeys, candidate)) {
            throw new ApiException(
                    403,
                    "permission_error",
                    null,
                    "admin_key_required",
                    "Replay and redeliver need an admin key (ingress.admin_keys) in " + ADMIN_HEADER + ".");
        }
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return h.substring(7).trim();
    }

    private static boolean matches(List<Secret> keys, String candidate) {
        for (Secret k : keys) {
            if (k.matches(candidate)) {
                return true;
            }
        }
        return false;
    }
}
