package dev.relay.processor.topology;

import dev.relay.processor.topology.CallLauncher.Refusal;
import dev.relay.processor.topology.CallLauncher.Start;
import dev.relay.schemas.Job;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * when a per-provider permit is free and complete on other threads into {@link CallCompletions}, which only the stream
 * thread drains (punctuator every few ms, and each {@code process()}). Retries wait in the store with a not-before
 * time. After a crash or rebalance, {@link #init} re-queues every stored job; the calls start from the punctuator,
 * never in init, each under a new attempt number ({@link InflightEntry#restored}).
 *
 * <p>The path of one attempt: {@link CallLauncher#tryStart} starts the call; its {@link FinishedCall} comes back
 * through {@link #drain}; {@link HopOutcomes} records it (written by the {@link HopWriter}) and returns a
 * {@link Settlement} (the policy's verdict applied); {@link #settle} moves the job: back into the queue, to the next hop (starting its call at once where it
 * can, {@link CallLauncher#startEarly}), or out.
 */
final class HopProcessor implements Processor<String, Job, String, Object> {

    private static final Logger log = LoggerFactory.getLogger(HopProcessor.class);

    private final int hop;
    private final int maxHop;
    private final String storeName;
    private final FallbackServices services;
    private final HopWriter writer;
    private final HopOutcomes outcomes;
    private final CallLauncher launcher;
    private final HopQueue queue;
    private final ProviderBatcher batcher;
    private final CallCompletions completions;
    private final CancelledBatches cancels = new CancelledBatches();

    private ProcessorContext<String, Object> ctx;
    private InflightStore store;
    private Cancellable punctuator;

    HopProcessor(int hop, int maxHop, String storeName, FallbackServices services) {
        this.hop = hop;
        this.maxHop = maxHop;
        this.storeName = storeName;
        this.services = services;
        this.writer = new HopWriter(hop, services);
        this.outcomes = new HopOutcomes(hop, new HopVerdicts(hop, maxHop, services, cancels), writer);
        this.launcher = new CallLauncher(services);
        this.queue = new HopQueue(services.gate());
        this.completions = new CallCompletions(queue);
        this.batcher = new ProviderBatcher(hop, services, cancels);
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        // Streams may close a task and init the same processor again (it revives a corrupted task in place), so init
        // starts from a clean slate. Completions of the closed incarnation's calls no longer match a running call.
        if (completions.open()) {
            log.info(
                    "task {} hop {}: initialised again after Streams closed it (a revived task)",
                    context.taskId(),
                    hop);
        }
        this.ctx = context;
        this.store = new InflightStore(context.getStateStore(storeName));
        writer.init(context);
        cancels.init(context.getStateStore(FallbackTopology.CATALOG_STORE));
        // the provider batches this task had running resume polling; their items are not queued again
        batcher.init(
                context,
                services.batchApis().isEmpty() ? null : context.getStateStore(FallbackTopology.batchStoreName(hop)),
                now());
        var restored = store.load(now());
        for (Map.Entry<String, InflightEntry> kv : restored) {
            String provider = provider(kv.getValue().job());
            queue.hold(provider);
            if (batcher.holds(kv.getKey(), kv.getValue())) {
                store.keepAsStored(kv.getKey()); // its attempt runs on at the provider: no new attempt number
            } else {
                queue.schedule(kv.getKey(), provider, kv.getValue().notBefore(), now());
            }
        }
        if (!restored.isEmpty()) {
            log.info(
                    "task {} hop {}: re-queued {} jobs from the in-flight store",
                    context.taskId(),
                    hop,
                    restored.size());
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
            throw new IllegalArgumentException(
                    "job " + key + " has " + job.getChain().size() + " targets but arrived on hop " + hop);
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
            queue.cancel(key);
            batcher.forget(key);
            queue.release(provider(old.job()));
        }
        InflightEntry entry = InflightEntry.fresh(job);
        store.put(key, entry);
        writer.tracing().arrived(key, job, record.headers());
        queue.hold(provider);
        EarlyCalls.Call early = services.earlyCalls().take(key, hop, job.getReplayGeneration());
        if (early != null
                && early.provider().equals(provider)
                && !early.future().isCancelled()) {
            // the previous hop already started this call (fast fallback): adopt it instead of calling again
            completions.track(key, provider, early.launched());
        } else {
            queue.schedule(key, provider, entry.notBefore(), now());
        }
        dispatch();
    }

    private void tick() {
        drain();
        for (ProviderBatcher.Finished f : batcher.tick(now(), store::get)) {
            settle(
                    f.key(),
                    f.entry(),
                    f.call() == null
                            ? outcomes.refused(f.key(), f.entry(), Refusal.BATCH_CANCELLED, now())
                            : outcomes.completed(f.key(), f.entry(), f.call(), now()));
        }
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

    private void dispatch() {
        queue.dispatch(now(), this::tryStart);
    }

    /** Starts the queued job {@code key} of {@code provider}; false when the provider has no permit free. */
    private boolean tryStart(String provider, String key) {
        InflightEntry e = store.get(key);
        if (e == null || !provider.equals(provider(e.job()))) {
            return true; // gone, or replaced by a job for another target: a stale queue entry
        }
        if (cancels.cancelled(e.job(), now())) {
            // its Relay batch was cancelled: no new attempt; it ends cancelled
            settle(key, e, outcomes.refused(key, e, Refusal.BATCH_CANCELLED, now()));
            return true;
        }
        store.saveRestored(key); // a re-issued call's new attempt number is in the store before the call starts
        if (batcher.accepts(e.job(), hop, now()) && batcher.add(key, e, now())) {
            return true; // an item of a provider batch: its outcome comes back from the batcher's tick
        }
        return switch (launcher.tryStart(hop, e, now())) {
            case Start.Started s -> {
                completions.track(key, provider, s.call());
                yield true;
            }
            case Start.Refused r when r.reason() == Refusal.BUSY -> false;
            case Start.Refused r -> {
                settle(key, e, outcomes.refused(key, e, r.reason(), now()));
                yield true;
            }
        };
    }

    private void drain() {
        for (FinishedCall c; (c = completions.next()) != null; ) {
            InflightEntry e = store.get(c.key());
            if (e != null) {
                settle(c.key(), e, outcomes.completed(c.key(), e, c, now()));
            }
        }
    }

    /** Carries out where the job goes: back into the queue, on to the next hop, or out of this hop's store. */
    private void settle(String key, InflightEntry before, Settlement settlement) {
        switch (settlement) {
            case Settlement.Requeue r -> {
                store.put(key, r.entry());
                queue.schedule(key, provider(before.job()), r.entry().notBefore(), now());
            }
            case Settlement.Forward f -> {
                writer.nextHop(key, f.next());
                store.delete(key);
                writer.tracing().left(key);
                queue.release(provider(before.job()));
                if (f.next().getChain().size() <= hop + 1 || !batcher.accepts(f.next(), hop + 1, now())) {
                    launcher.startEarly(key, f.next(), hop + 1, maxHop, now());
                }
            }
            case Settlement.End end -> {
                store.delete(key);
                writer.tracing().left(key);
                queue.release(provider(before.job()));
            }
        }
    }

    private String provider(Job job) {
        return job.getChain().get(hop).getProvider();
    }

    private long now() {
        return ctx.currentSystemTimeMs();
    }

    @Override
    public void close() {
        completions.close();
        if (punctuator != null) {
            punctuator.cancel();
        }
        // cancels the futures the clients returned (not derived stages), so the exchanges really end
        queue.clear();
        completions.clear();
        batcher.close();
    }
}
