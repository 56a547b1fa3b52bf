package dev.relay.ingress.webhook;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * SSRF guard for webhook targets: only absolute http(s) URLs, and unless {@code allowPrivate} no loopback, private
 * (RFC 1918, IPv6 ULA, CGNAT), link-local (cloud metadata 169.254.169.254), wildcard or multicast address. Checked at
 * submit time on every address the host name resolves to, and again at delivery time by {@link #allowedAddresses},
 * whose addresses are the only ones the delivery connects to: a DNS change between the check and the connection
 * (rebinding) cannot redirect it.
 */
public final class TargetGuard {

    /** How host names are resolved ({@link InetAddress#getAllByName} outside tests). */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] all(String host) throws UnknownHostException;
    }

    /** A target refused at connection time; an IOException so HTTP clients pass it through as the cause. */
    public static final class Refused extends IOException {
        Refused(String reason) {
            super(reason, null);
        }
    }

    public record Verdict(boolean allowed, String reason) {
        static final Verdict OK = new Verdict(true, "allowed");

        static Verdict refuse(String reason) {
            return new Verdict(false, reason);
        }
    }

    private final boolean allowPrivate;
    private final Lookup lookup;

    public TargetGuard(boolean allowPrivate) {
        this(allowPrivate, InetAddress::getAllByName);
    }

    public TargetGuard(boolean allowPrivate, Lookup lookup) {
        this.allowPrivate = allowPrivate;
        this.lookup = lookup;
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

    /** The full check (at submit): the syntax, then the host is resolved and refused if any address is private. */
    public Verdict checkResolved(String url) {
        Verdict syntax = checkSyntaxAndLiteral(url);
        if (!syntax.allowed() || allowPrivate) {
            return syntax;
        }
        try {
            allowedAddresses(URI.create(url).getHost());
            return Verdict.OK;
        } catch (Refused e) {
            return Verdict.refuse(e.getMessage());
        }
    }

    /**
     * Resolves {@code host} (a name or an IP literal) and checks every address: the addresses a delivery may connect
     * to. Refused when the name does not resolve or, unless private targets are allowed, when any address is private.
     */
    public List<InetAddress> allowedAddresses(String host) throws Refused {
        InetAddress[] all;
        try {
            all = lookup.all(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            throw new Refused("host " + host + " does not resolve");
        }
        if (all.length == 0) {
            throw new Refused("host " + host + " does not resolve");
        }
        if (!allowPrivate) {
            for (InetAddress a : all) {
                Verdict v = checkAddress(a);
                if (!v.allowed()) {
                    throw new Refused(v.reason());
                }
            }
        }
        return List.of(all);
    }

    private static Verdict checkAddress(InetAddress a) {
        byte[] b = a.getAddress();
        boolean ula = a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc;
        boolean cgnat = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
        boolean zeroNet = b.length == 4 && b[0] == 0;
        if (a.isLoopbackAddress()
                || a.isSiteLocalAddress()
                || a.isLinkLocalAddress()
                || a.isAnyLocalAddress()
                || a.isMulticastAddress()
                || ula
                || cgnat
                || zeroNet) {
            return Verdict.refuse("points at a private, loopback or link-local address (" + a.getHostAddress()
                    + "); set webhooks.allow_private_targets to allow it");
        }
        return Verdict.OK;
    }

    private static boolean isIpLiteral(String host) {
        return host.startsWith("[") || host.matches("[0-9.]+") || host.contains(":");
    }
}
