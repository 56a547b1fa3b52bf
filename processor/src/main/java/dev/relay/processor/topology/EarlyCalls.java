package dev.relay.processor.topology;

import dev.relay.processor.attempt.AttemptOutcome;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fallback calls started before their hop record is committed (the fast fallback path), waiting to be adopted by the
 * next hop's processor in this JVM when the record arrives. Under exactly-once the next hop's record is readable only
 * after the transaction commits, which costs one commit cycle (8-20 ms here, bench/reports/processor-fallback-latency.md);
 * starting the call at once takes that off a fallback hop. The record stays the durable truth: if it is never
 * adopted (a rebalance moved the hop's task, or the transaction aborted), the call's permit is released when it ends
 * and its outcome is dropped after {@link #KEEP_UNADOPTED_MS}; the hop's owner then calls as usual.
 */
public final class EarlyCalls {

    /** How long a finished call waits for its hop record before it is dropped. */
    static final long KEEP_UNADOPTED_MS = 60_000;

    /** A started call of {@code provider}, dropped when it ended and was not adopted by {@code expiresAtMs}. */
    record Call(CallLauncher.Launched launched, String provider, long expiresAtMs) {
        CompletableFuture<AttemptOutcome> future() {
            return launched.future();
        }
    }

    private final Map<String, Call> calls = new ConcurrentHashMap<>();
    private final boolean enabled;
    private final Ownership ownership;
    private volatile long lastSweep;
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong adopted = new AtomicLong();

    /** Who owns a hop's task for a key in this JVM: only then is an early call started for it. */
    public interface Ownership {
        boolean ownsHop(int hop, String key);

        Ownership NONE = (hop, key) -> false;
    }

    public EarlyCalls(boolean enabled, Ownership ownership) {
        this.enabled = enabled;
        this.ownership = ownership;
    }

    public static EarlyCalls disabled() {
        return new EarlyCalls(false, Ownership.NONE);
    }

    boolean shouldStart(int hop, String key, int generation) {
        return enabled && !calls.containsKey(id(key, hop, generation)) && ownership.ownsHop(hop, key);
    }

    void put(String key, int hop, int generation, Call call) {
        calls.put(id(key, hop, generation), call);
        started.incrementAndGet();
    }

    /** The early call for this job's hop, removed from the registry; null when there is none. */
    Call take(String key, int hop, int generation) {
        Call c = enabled ? calls.remove(id(key, hop, generation)) : null;
        if (c != null) {
            adopted.incrementAndGet();
        }
        return c;
    }

    /** Early calls started so far. */
    public long started() {
        return started.get();
    }

    /** Early calls the next hop adopted so far (started minus adopted minus waiting = calls wasted). */
    public long adopted() {
        return adopted.get();
    }

    /** Drops calls that ended and were never adopted, at most once a second. */
    void sweep(long nowMs) {
        if (!enabled || nowMs - lastSweep < 1_000) {
            return;
        }
        lastSweep = nowMs;
        calls.values().removeIf(c -> c.future().isDone() && nowMs > c.expiresAtMs());
    }

    int size() {
        return calls.size();
    }

    private static String id(String key, int hop, int generation) {
        return key + '\u0000' + hop + '\u0000' + generation;
    }
}
