package dev.relay.ingress.webhook;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * SSRF guard for webhook targets: only absolute http(s) URLs, and unless {@code allowPrivate} no loopback, private
 * (RFC 1918, IPv6 ULA, CGNAT), link-local (cloud metadata 169.254.169.254), wildcard or multicast address. Checked at
 * submit time on the literal host, and again at delivery time on every resolved address (DNS may point anywhere).
 */
public final class TargetGuard {

    public record Verdict(boolean allowed, String reason) {
        static final Verdict OK = new Verdict(true, "allowed");

        static Verdict refuse(String reason) {
            return new Verdict(false, reason);
        }
    }

    private final boolean allowPrivate;

    public TargetGuard(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /** Syntax, scheme, and the host if it is an IP literal or {@code localhost}; no DNS lookup. */
    public Verdict checkSyntaxAndLiteral(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Verdict.refuse("is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Verdict.refuse("must be an absolute http or https URL");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return Verdict.refuse("has no host");
        }
        if (uri.getUserInfo() != null) {
            return Verdict.refuse("must not carry credentials");
        }
        if (allowPrivate) {
            return Verdict.OK;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return Verdict.refuse("points at loopback; set webhooks.allow_private_targets to allow it");
        }
        if (isIpLiteral(h)) {
            try {
                return checkAddress(InetAddress.getByName(h.replace("[", "").replace("]", "")));
            } catch (UnknownHostException e) {
                return Verdict.refuse("has an unreadable IP address");
            }
        }
        return Verdict.OK;
    }

    /** The full check before a delivery: resolves the host and refuses if any address is private. */
    public Verdict checkResolved(String url) {
        Verdict syntax = checkSyntaxAndLiteral(url);
        if (!syntax.allowed() || allowPrivate) {
            return syntax;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(URI.create(url).getHost())) {
                Verdict v = checkAddress(a);
                if (!v.allowed()) {
                    return v;
                }
            }
            return Verdict.OK;
        } catch (UnknownHostException e) {
            return Verdict.refuse("host does not resolve");
        }
    }

    private static Verdict checkAddress(InetAddress a) {
        byte[] b = a.getAddress();
        boolean ula = a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc;
        boolean cgnat = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
        boolean zeroNet = b.length == 4 && b[0] == 0;
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress() || ula || cgnat || zeroNet) {
            return Verdict.refuse("points at a private, loopback or link-local address (" + a.getHostAddress()
                    + "); set webhooks.allow_private_targets to allow it");
        }
        return Verdict.OK;
    }

    private static boolean isIpLiteral(String host) {
        return host.startsWith("[") || host.matches("[0-9.]+") || host.contains(":");
    }
}
