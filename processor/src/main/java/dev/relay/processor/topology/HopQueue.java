package dev.relay.processor.topology;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.Future;

/**
 * One hop task's bookkeeping of the jobs in its in-flight store: which wait for a call permit (per provider, in
 * arrival order), which wait for a retry time, which have a call running, and how many jobs it holds per provider
 * (counted into the shared {@link ProviderGate} backlog, which backpressure compares with {@code buffer_size}). The
 * store stays the record; this is what the stream thread rebuilds from it on init. Stream thread only.
 */
final class HopQueue {

    /** Offered a queued job; answers whether the job leaves the queue (false: no permit, the provider waits). */
    interface Starter {
        boolean offer(String provider, String key);
    }

    private record Delayed(String key, String provider, long notBefore) {}

    private record Running(long seq, Future<?> call) {}

    private final ProviderGate gate;
    private final Map<String, ArrayDeque<String>> ready = new HashMap<>();
    private final PriorityQueue<Delayed> delayed =
            new PriorityQueue<>((a, b) -> Long.compare(a.notBefore, b.notBefore));
    private final Map<String, Running> running = new HashMap<>();
    private final Map<String, Integer> held = new HashMap<>();
    private long seq;

    HopQueue(ProviderGate gate) {
        this.gate = gate;
    }

    /** Counts one more job of {@code provider} in this task's store. */
    void hold(String provider) {
        count(provider, +1);
    }

    /** A job of {@code provider} left this task's store. */
    void release(String provider) {
        count(provider, -1);
    }

    /** Queues {@code key} to start once {@code notBefore} (epoch millis) has come. */
    void schedule(String key, String provider, long notBefore, long now) {
        if (notBefore > now) {
            delayed.add(new Delayed(key, provider, notBefore));
        } else {
            ready.computeIfAbsent(provider, p -> new ArrayDeque<>()).add(key);
        }
    }

    /**
     * Offers every queued job whose time has come, per provider in order, stopping a provider at the first job it has
     * no permit for. Jobs with a call running are passed over (a duplicate queue entry).
     */
    void dispatch(long now, Starter starter) {
        while (!delayed.isEmpty() && delayed.peek().notBefore() <= now) {
            Delayed d = delayed.poll();
            ready.computeIfAbsent(d.provider(), p -> new ArrayDeque<>()).add(d.key());
        }
        for (Iterator<Map.Entry<String, ArrayDeque<String>>> it =
                        ready.entrySet().iterator();
                it.hasNext(); ) {
            var queue = it.next();
            ArrayDeque<String> keys = queue.getValue();
            while (!keys.isEmpty()) {
                String key = keys.poll();
                if (running.containsKey(key)) {
                    continue;
                }
                if (!starter.offer(queue.getKey(), key)) {
                    keys.addFirst(key); // no permit: the rest waits until a call of this provider ends
                    break;
                }
            }
            if (keys.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Records the running call for {@code key}; returns the number its completion must bring back. */
    long running(String key, Future<?> call) {
        long mySeq = ++seq;
        running.put(key, new Running(mySeq, call));
        return mySeq;
    }

    /** Whether the call numbered {@code callSeq} is still the one for {@code key}; if so, it is no longer running. */
    boolean finished(String key, long callSeq) {
        Running r = running.get(key);
        if (r == null || r.seq() != callSeq) {
            return false; // superseded by a newer record for the same job id
        }
        running.remove(key);
        return true;
    }

    /** Cancels the running call for {@code key}, if any (the future the client returned, so the exchange ends). */
    void cancel(String key) {
        Running r = running.remove(key);
        if (r != null) {
            r.call().cancel(true);
        }
    }

    /** The task is closing: cancels every running call and gives the held jobs back to the shared backlog. */
    void clear() {
        running.values().forEach(r -> r.call().cancel(true));
        running.clear();
        held.forEach((p, n) -> gate.addBacklog(p, -n));
        held.clear();
        ready.clear();
        delayed.clear();
    }

    private void count(String provider, int delta) {
        gate.addBacklog(provider, delta);
        held.merge(provider, delta, Integer::sum);
    }
}
