package dev.relay.processor.topology;

import dev.relay.config.ProviderConfig;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.provider.ProviderClient;
import dev.relay.processor.topology.CallLauncher.Launched;
import dev.relay.schemas.Job;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task's processor for one hop topic (a new instance per task). {@code process()} never calls a provider and never
 * waits long: it writes the job to the in-flight store (committed with the input offset) and queues it; calls start
 * when a per-provider permit is free and complete on other threads into a queue that only the stream thread drains
 * (punctuator every few ms, and each {@code process()}). Retries wait in the store with a not-before time. After a
 * crash or rebalance, {@link #init} re-queues every stored job; the calls start from the punctuator, never in init.
 */
final class HopProcessor implements Processor<String, Job, String, Object> {

    private static final Logger log = LoggerFactory.getLogger(HopProcessor.class);

    /**
     * A completed call, handed from the completing thread to the stream thread. {@code completionJson} is a success's
     * chat.completion already written out (on the completing thread, so the stream thread does not); null otherwise.
     */
    record Completion(String key, long seq, AttemptOutcome outcome, String keyName, long startedAt, long latencyMs,
            String completionJson) {}

    private record Running(long seq, String provider, CompletableFuture<AttemptOutcome> future) {}

    private record Delayed(String key, long notBefore) {}

    private final int hop;
    private final int maxHop;
    private final String storeName;
    private final FallbackServices services;
    private final HopOutcomes outcomes;
    private final CallLauncher launcher;

    private final Map<String, ArrayDeque<String>> ready = new HashMap<>();
    private final PriorityQueue<Delayed> delayed = new PriorityQueue<>((a, b) -> Long.compare(a.notBefore, b.notBefore));
    private final Map<String, Running> running = new HashMap<>();
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final Map<String, Integer> myBacklog = new HashMap<>();
    private volatile boolean closed;
    private long seq;

    private ProcessorContext<String, Object> ctx;
    private InflightStore store;
    private Cancellable punctuator;

    HopProcessor(int hop, int maxHop, String storeName, FallbackServices services) {
        this.hop = hop;
        this.maxHop = maxHop;
        this.storeName = storeName;
        this.services = services;
        this.outcomes = new HopOutcomes(hop, maxHop, services);
        this.launcher = new CallLauncher(services);
        this.outcomes.onNextHop(this::startEarly);
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        // Streams may close a task and init the same processor again (it revives a corrupted task in place), so init
        // starts from a clean slate. Completions of the closed incarnation's calls no longer match a running call.
        if (closed) {
            log.info("task {} hop {}: initialised again after Streams closed it (a revived task)", context.taskId(),
                    hop);
        }
        closed = false;
        this.ctx = context;
        this.store = new InflightStore(context.getStateStore(storeName));
        outcomes.init(context, store);
        int requeued = 0;
        for (Map.Entry<String, InflightEntry> kv : store.load()) {
            backlog(provider(kv.getValue().job()), +1);
            enqueue(kv.getKey(), kv.getValue());
            requeued++;
        }
        if (requeued > 0) {
            log.info("task {} hop {}: re-queued {} jobs from the in-flight store", context.taskId(), hop, requeued);
        }
        punctuator = context.schedule(services.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> tick());
    }

    @Override
    public void process(Record<String, Job> record) {
        drain();
        Job job = record.value();
        String key = record.key();
        if (key == null || job == null) {
            throw new IllegalArgumentException("a job record needs a key (the job id) and a value");
        }
        if (job.getChain().size() <= hop) {
            throw new IllegalArgumentException("job " + key + " has " + job.getChain().size()
                    + " targets but arrived on hop " + hop);
        }
        if (job.getHop() != hop) {
            job = Job.newBuilder(job).setHop(hop).build();
        }
        String provider = provider(job);
        awaitBacklog(provider);
        InflightEntry old = store.get(key);
        if (old != null) {
            // the same job id again while the first is still here (a replay or a duplicate): the newer one wins
            log.warn("job {} arrived on hop {} while still in flight; restarting it", key, hop);
            cancelRunning(key);
            backlog(provider(old.job()), -1);
        }
        InflightEntry entry = InflightEntry.fresh(job);
        store.put(key, entry);
        backlog(provider, +1);
        EarlyCalls.Call early = services.earlyCalls().take(key, hop, job.getReplayGeneration());
        if (early != null && early.provider().equals(provider) && !early.future().isCancelled()) {
            // the previous hop already started this call (fast fallback): adopt it instead of calling again
            track(key, provider, new Launched(early.future(), early.keyName(), early.startedAtMs(), early.startNanos()));
        } else {
            enqueue(key, entry);
        }
        dispatch();
    }

    private void tick() {
        drain();
        dispatch();
        services.earlyCalls().sweep(now());
    }

    /** Bounded wait while the provider's backlog is full: consumption slows, lag is the queue depth. */
    private void awaitBacklog(String provider) {
        if (!services.gate().backlogFull(provider)) {
            return;
        }
        long until = System.nanoTime() + services.backpressureWait().toNanos();
        while (services.gate().backlogFull(provider) && System.nanoTime() < until) {
            drain();
            dispatch();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private void enqueue(String key, InflightEntry entry) {
        if (entry.notBefore() > now()) {
            delayed.add(new Delayed(key, entry.notBefore()));
        } else {
            ready.computeIfAbsent(provider(entry.job()), p -> new ArrayDeque<>()).add(key);
        }
    }

    private void dispatch() {
        long now = now();
        while (!delayed.isEmpty() && delayed.peek().notBefore() <= now) {
            String key = delayed.poll().key();
            InflightEntry e = store.get(key);
            if (e != null) {
                ready.computeIfAbsent(provider(e.job()), p -> new ArrayDeque<>()).add(key);
            }
        }
        for (Iterator<Map.Entry<String, ArrayDeque<String>>> it = ready.entrySet().iterator(); it.hasNext(); ) {
            var queue = it.next();
            dispatch(queue.getKey(), queue.getValue(), now);
            if (queue.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    private void dispatch(String provider, ArrayDeque<String> queue, long now) {
        while (!queue.isEmpty()) {
            String key = queue.peek();
            InflightEntry e = store.get(key);
            if (e == null || running.containsKey(key) || !provider.equals(provider(e.job()))) {
                queue.poll();
                continue;
            }
            Instant deadline = e.job().getDeadline();
            if (deadline != null && now >= deadline.toEpochMilli()) {
                queue.poll();
                outcomes.deadlinePassed(key, e, now);
                backlog(provider, -1);
                continue;
            }
            ProviderConfig config = services.providers().get(provider);
            ProviderClient client = services.clients().get(provider);
            if (config == null || client == null) {
                queue.poll();
                settle(key, e, outcomes.notConfigured(key, e, now));
                continue;
            }
            if (!services.gate().tryAcquire(provider)) {
                return; // no permit: the rest waits in the store until a call of this provider ends
            }
            queue.poll();
            String model = e.job().getChain().get(hop).getModel();
            if (!services.policy().tryAcquire(provider, model, e.attemptsOnTarget() + 1)) {
                services.gate().release(provider);
                settle(key, e, outcomes.circuitOpen(key, e, now));
                continue;
            }
            start(key, e, config, client, now);
        }
    }

    private void start(String key, InflightEntry e, ProviderConfig config, ProviderClient client, long now) {
        Launched l = launcher.launch(hop, e, config, client, now);
        if (l == null) {
            settle(key, e, outcomes.noKeyLeft(key, e, now));
            return;
        }
        track(key, provider(e.job()), l);
    }

    /** Makes {@code l} this task's running call for {@code key}: its outcome comes back through the drain. */
    private void track(String key, String provider, Launched l) {
        long mySeq = ++seq;
        running.put(key, new Running(mySeq, provider, l.future()));
        l.future().whenComplete((outcome, error) -> {
            long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - l.startNanos());
            AttemptOutcome result = outcome != null ? outcome : error instanceof TimeoutException
                    ? abandoned(provider, key, latencyMs) : CallLauncher.failureOf(error);
            if (!closed) { // a task that was closed must not forward: its new owner re-issues the call
                String json = result instanceof AttemptOutcome.Success ok ? ok.completion().toString() : null;
                completions.add(new Completion(key, mySeq, result, l.keyName(), l.startedAtMs(), latencyMs, json));
            }
        });
    }

    /**
     * The fast fallback path: this hop has just sent {@code next} to the next hop. When this instance owns the next
     * hop's task and the next provider has a permit free, its call starts now, before the transaction commits; the
     * next hop adopts it when the record arrives ({@link EarlyCalls}).
     */
    private void startEarly(String key, Job next) {
        int nextHop = hop + 1;
        if (nextHop > maxHop || next.getChain().size() <= nextHop) {
            return;
        }
        int generation = next.getReplayGeneration();
        if (!services.earlyCalls().shouldStart(nextHop, key, generation)) {
            return;
        }
        String provider = next.getChain().get(nextHop).getProvider();
        ProviderConfig config = services.providers().get(provider);
        ProviderClient client = services.clients().get(provider);
        long now = now();
        if (config == null || client == null
                || (next.getDeadline() != null && now >= next.getDeadline().toEpochMilli())) {
            return; // the next hop ends it without a call, as usual
        }
        if (!services.gate().tryAcquire(provider)) {
            return;
        }
        if (!services.policy().tryAcquire(provider, next.getChain().get(nextHop).getModel(), 1)) {
            services.gate().release(provider);
            return;
        }
        Launched l = launcher.launch(nextHop, InflightEntry.fresh(next), config, client, now);
        if (l == null) {
            return;
        }
        long expires = now + config.network().requestTimeout().toMillis() + EarlyCalls.KEEP_UNADOPTED_MS;
        services.earlyCalls().put(key, nextHop, generation,
                new EarlyCalls.Call(l.future(), provider, l.keyName(), l.startedAtMs(), l.startNanos(), expires));
    }

    private static AttemptOutcome abandoned(String provider, String key, long latencyMs) {
        log.warn("provider {} did not end the call for job {} within its deadline; abandoned after {} ms", provider,
                key, latencyMs);
        return AttemptOutcome.Failure.of(Classifier.classify(new TimeoutException()), null, null, null,
                "no outcome from " + provider + " within the call's deadline; abandoned after " + latencyMs + " ms");
    }

    private void drain() {
        for (Completion c; (c = completions.poll()) != null; ) {
            Running r = running.get(c.key());
            if (r == null || r.seq() != c.seq()) {
                continue; // superseded by a newer record for the same job id
            }
            running.remove(c.key());
            InflightEntry e = store.get(c.key());
            if (e != null) {
                settle(c.key(), e, outcomes.completed(c.key(), e, c));
            }
        }
    }

    /** Applies what the outcome handler decided: the job stays (retry later) or leaves this hop's store. */
    private void settle(String key, InflightEntry before, Optional<InflightEntry> retry) {
        if (retry.isPresent()) {
            enqueue(key, retry.get());
        } else {
            backlog(provider(before.job()), -1);
        }
    }

    private void cancelRunning(String key) {
        Running r = running.remove(key);
        if (r != null) {
            r.future().cancel(true);
        }
    }

    private String provider(Job job) {
        return job.getChain().get(hop).getProvider();
    }

    private void backlog(String provider, int delta) {
        services.gate().addBacklog(provider, delta);
        myBacklog.merge(provider, delta, Integer::sum);
    }

    private long now() {
        return ctx.currentSystemTimeMs();
    }

    @Override
    public void close() {
        closed = true;
        if (punctuator != null) {
            punctuator.cancel();
        }
        // cancel the futures the clients returned (not derived stages), so the exchanges really end
        running.values().forEach(r -> r.future().cancel(true));
        running.clear();
        completions.clear();
        myBacklog.forEach((p, n) -> services.gate().addBacklog(p, -n));
        myBacklog.clear();
        ready.clear();
        delayed.clear();
    }
}
