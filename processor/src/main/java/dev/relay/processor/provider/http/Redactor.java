package dev.relay.processor.provider.http;

import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes key material from text that leaves an adapter (error messages from provider bodies, exception texts).
 * Providers echo keys back (OpenAI's 401 "Incorrect API key provided: sk-...."), so the exact key value is replaced,
 * and so is anything shaped like a common provider key.
 */
public final class Redactor {

    private static final Pattern KEY_SHAPES = Pattern.compile(
            "(sk-[A-Za-z0-9_*\\-]{6,}|sk_[A-Za-z0-9_*\\-]{6,}|AIza[0-9A-Za-z_\\-]{10,}|gsk_[A-Za-z0-9]{6,})");

    private Redactor() {}

    public static String redact(String text, String key) {
        return redactAll(text, key == null ? List.of() : List.of(key));
    }

    /** {@link #redact(String, String)} for text that may hold any of several keys. */
    public static String redactAll(String text, Collection<String> keys) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String key : keys) {
            if (key.length() >= 4) {
                out = out.replace(key, "[redacted]");
            }
        }
        return KEY_SHAPES.matcher(out).replaceAll("[redacted]");
    }
}
