package dev.relay.processor.topology;

import dev.relay.config.ProviderConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-provider limits shared by every task and stream thread of one processor: {@code concurrency} call permits, and
 * the backlog (jobs in the in-flight stores whose current target is the provider) that backpressure compares with
 * {@code buffer_size}. Permits are released when a call's exchange ends, not when its result is forwarded.
 */
public final class ProviderGate {

    private record Limits(Semaphore permits, AtomicInteger inFlight, AtomicInteger backlog, int bufferSize) {}

    private final Map<String, Limits> limits = new ConcurrentHashMap<>();

    public ProviderGate(Map<String, ProviderConfig> providers) {
        providers.forEach((name, p) -> limits.put(
                name,
                new Limits(new Semaphore(p.concurrency()), new AtomicInteger(), new AtomicInteger(), p.bufferSize())));
    }

    private Limits of(String provider) {
        // unknown providers never get a call (they fail without one), but keep the bookkeeping total
        return limits.computeIfAbsent(
                provider,
                p -> new Limits(
                        new Semaphore(ProviderConfig.DEFAULT_CONCURRENCY),
                        new AtomicInteger(),
                        new AtomicInteger(),
                        ProviderConfig.DEFAULT_BUFFER_SIZE));
    }

    boolean tryAcquire(String provider) {
        Limits l = of(provider);
        if (l.permits().tryAcquire()) {
            l.inFlight().incrementAndGet();
            return true;
        }
        return false;
    }

    void release(String provider) {
        Limits l = of(provider);
        l.inFlight().decrementAndGet();
        l.permits().release();
    }

    void addBacklog(String provider, int delta) {
        of(provider).backlog().addAndGet(delta);
    }

    boolean backlogFull(String provider) {
        Limits l = of(provider);
        return l.backlog().get() >= l.bufferSize();
    }

    /** Calls running right now against the provider. */
    public int inFlight(String provider) {
        return of(provider).inFlight().get();
    }

    /** Jobs waiting or running for the provider across this processor's in-flight stores. */
    public int backlog(String provider) {
        return of(provider).backlog().get();
    }

    public java.util.Set<String> providers() {
        return java.util.Set.copyOf(limits.keySet());
    }
}
