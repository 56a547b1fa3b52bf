package dev.relay.processor.attempt;

import dev.relay.schemas.OutcomeClass;

/**
 * Why an attempt failed, with the default decisions of ARCHITECTURE.md's failure table. The processor's policy may
 * override {@link #retrySameTarget()} and {@link #nextHop()} per class from {@code fallback_policy}.
 */
public enum FailureClass {
    /** 429 (Groq also 498): try another key, or wait a short Retry-After; then the next hop. */
    RATE_LIMITED(true, true, true),
    /** 402, or 429 {@code insufficient_quota}: another key may have credit; then the next hop. */
    QUOTA(true, true, true),
    /** 500, 502, 503, 504 and Anthropic's 529: retry with jittered backoff, then the next hop. */
    TRANSIENT(true, true, false),
    /** No answer within the request timeout: not retried on the same target (it would likely time out again). */
    TIMEOUT(false, true, false),
    /** Connection refused or reset, DNS, TLS: retry with backoff, then the next hop. */
    NETWORK(true, true, false),
    /** 401, 403, Gemini 400 API_KEY_INVALID, or no key configured: another key, never this one again for the job. */
    AUTH(true, true, true),
    /** 404 model not found or not allowed. */
    MODEL_UNAVAILABLE(false, true, false),
    /** The prompt is longer than the model's context; a larger model further down the chain may fit. */
    CONTEXT_LENGTH(false, true, false),
    /** The provider's safety filter refused the prompt or the completion. Falls back only if configured. */
    CONTENT_FILTERED(false, false, false),
    /** Any other 400 or 422: the caller's fault, returned at once. */
    INVALID_REQUEST(false, false, false),
    /** 200 with an unusable or cut-off body: retried once, then the next hop. */
    TRUNCATED(true, true, false),
    /** The job's deadline passed: nothing more is tried. */
    DEADLINE(false, false, false),
    /** An unexpected exception in an adapter or a mapper: a bug, not an outage. Not retried, no fallback. */
    INTERNAL(false, false, false);

    private final boolean retrySameTarget;
    private final boolean nextHop;
    private final boolean rotateKey;

    FailureClass(boolean retrySameTarget, boolean nextHop, boolean rotateKey) {
        this.retrySameTarget = retrySameTarget;
        this.nextHop = nextHop;
        this.rotateKey = rotateKey;
    }

    /** Whether the same provider and model is tried again (within {@code max_retries}). */
    public boolean retrySameTarget() {
        return retrySameTarget;
    }

    /** Whether the chain moves on to the next target once the same target is given up. */
    public boolean nextHop() {
        return nextHop;
    }

    /** Whether a retry on the same target should pick another key. */
    public boolean rotateKey() {
        return rotateKey;
    }

    public OutcomeClass toOutcomeClass() {
        return OutcomeClass.valueOf(name());
    }
}
