package dev.relay.processor.attempt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * The one place that maps provider HTTP answers and transport exceptions to {@link FailureClass}es (ARCHITECTURE.md,
 * "Failure classification"). Adapters parse their provider's error body into type, code and message and hand them
 * here; they never decide a class themselves.
 */
public final class Classifier {

    private Classifier() {}

    /**
     * Classifies a non-2xx answer. {@code errorType}, {@code errorCode} and {@code message} are the provider's own
     * (OpenAI {@code error.type}/{@code error.code}, Anthropic {@code error.type}, Gemini {@code error.status} and
     * {@code details[].reason}); any may be null.
     */
    public static FailureClass classify(int status, String errorType, String errorCode, String message) {
        String type = lower(errorType);
        String code = lower(errorCode);
        String text = lower(message);
        if (mentions(code, type, "insufficient_quota", "billing", "credit") || text.contains("credit balance")) {
            return FailureClass.QUOTA;
        }
        if (mentions(
                code,
                type,
                "api_key_invalid",
                "invalid_api_key",
                "authentication_error",
                "permission_denied",
                "unauthenticated",
                "permission_error")) {
            return FailureClass.AUTH;
        }
        if (mentions(code, type, "context_length_exceeded", "string_above_max_length", "request_too_large")
                || text.contains("context length")
                || text.contains("context_length")
                || text.contains("prompt is too long")
                || text.contains("maximum context")
                || text.contains("exceeds the maximum number of tokens")
                || text.contains("too many tokens")) {
            return FailureClass.CONTEXT_LENGTH;
        }
        if (mentions(
                        code,
                        type,
                        "content_filter",
                        "content_policy_violation",
                        "safety",
                        "responsibleaipolicyviolation",
                        "invalid_prompt",
                        "moderation")
                || text.contains("content management policy")
                || text.contains("content filter")
                || text.contains("flagged as potentially violating")) {
            return FailureClass.CONTENT_FILTERED;
        }
        if (mentions(code, type, "model_not_found", "not_found_error") && status != 429) {
            return FailureClass.MODEL_UNAVAILABLE;
        }
        return switch (status) {
            case 429, 498 -> FailureClass.RATE_LIMITED;
            case 402 -> FailureClass.QUOTA;
            case 401, 403 -> FailureClass.AUTH;
            case 404 -> FailureClass.MODEL_UNAVAILABLE;
            case 408 -> FailureClass.TIMEOUT;
            case 413 -> FailureClass.CONTEXT_LENGTH;
            case 400, 409, 415, 422 -> FailureClass.INVALID_REQUEST;
            case 500, 502, 503, 504, 520, 521, 522, 524, 529 -> FailureClass.TRANSIENT;
            default -> status >= 500 ? FailureClass.TRANSIENT : FailureClass.INVALID_REQUEST;
        };
    }

    /**
     * Classifies a call that ended with an exception instead of an outcome. Transport failures (I/O, timeouts, a
     * cancelled exchange) are the provider's or the network's; anything else thrown inside an adapter or a mapper is a
     * bug in Relay: {@link FailureClass#INTERNAL}, never an outage to retry or fall back from.
     */
    public static FailureClass classify(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof HttpConnectTimeoutException
                || t instanceof ConnectException
                || t instanceof UnknownHostException
                || t instanceof SSLException
                || t instanceof ClosedChannelException) {
            return FailureClass.NETWORK;
        }
        if (t instanceof HttpTimeoutException || t instanceof TimeoutException) {
            return FailureClass.TIMEOUT;
        }
        if (t instanceof IOException) {
            // reset, "connection closed", EOF before headers, too many concurrent streams...
            return FailureClass.NETWORK;
        }
        if (t instanceof CancellationException) {
            return FailureClass.TIMEOUT;
        }
        if (t instanceof RejectedExecutionException) {
            // the call could not be handed to a thread (shutting down): no request went out, as with a refused
            // connection
            return FailureClass.NETWORK;
        }
        return FailureClass.INTERNAL;
    }

    /** No key is configured (or its env var is unset): reported without calling the provider. */
    public static FailureClass missingKey() {
        return FailureClass.AUTH;
    }

    /** A 200 whose body cannot be used (not JSON, no choices, cut off). */
    public static FailureClass unusableBody() {
        return FailureClass.TRUNCATED;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while ((cur instanceof CompletionException
                        || cur instanceof ExecutionException
                        || cur instanceof UncheckedIOException)
                && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    private static boolean mentions(String code, String type, String... needles) {
        for (String n : needles) {
            if (code.contains(n) || type.contains(n)) {
                return true;
            }
        }
        return false;
    }

    private static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }
}
