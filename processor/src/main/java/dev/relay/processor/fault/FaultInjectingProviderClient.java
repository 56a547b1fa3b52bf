package dev.relay.processor.fault;

import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ChatCall;
import dev.relay.processor.provider.ProviderClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the mocker's rules in front of a real adapter. Never blocks: injected latency is a task on {@code timer};
 * then the rule's canned outcome completes the call, or (latency-only rule) the real adapter is called. A latency
 * that runs past the call's deadline ends the call at the deadline as {@code TIMEOUT}, as the real client would, so
 * a rule with a long latency rehearses timeouts. Cancelling the returned future cancels the pending timer task or
 * the real call.
 */
public final class FaultInjectingProviderClient implements ProviderClient {

    public static final String INJECTED_COUNTER = "relay.fault.injected";

    private static final Logger log = LoggerFactory.getLogger(FaultInjectingProviderClient.class);

    private final ProviderClient delegate;
    private final FaultRules rules;
    private final RandomGenerator random;
    private final ScheduledExecutorService timer;
    private final Clock clock;
    private final MeterRegistry meters;

    public FaultInjectingProviderClient(
            ProviderClient delegate, FaultRules rules, RandomGenerator random, ScheduledExecutorService timer) {
        this(delegate, rules, random, timer, new CompositeMeterRegistry(), Clock.systemUTC());
    }

    /** Also counts every injection as {@value #INJECTED_COUNTER}{provider, rule, kind}, so a rehearsal can be checked. */
    public FaultInjectingProviderClient(
            ProviderClient delegate,
            FaultRules rules,
            RandomGenerator random,
            ScheduledExecutorService timer,
            MeterRegistry meters) {
        this(delegate, rules, random, timer, meters, Clock.systemUTC());
    }

    FaultInjectingProviderClient(
            ProviderClient delegate,
            FaultRules rules,
            RandomGenerator random,
            ScheduledExecutorService timer,
            MeterRegistry meters,
            Clock clock) {
        this.delegate = delegate;
        this.rules = rules;
        this.random = random;
        this.timer = timer;
        this.meters = meters;
        this.clock = clock;
    }

    /**
     * Puts the rules in front of {@code delegate}, or returns {@code delegate} itself when there are no rules, so a
     * processor without a mocker pays nothing. Wire every provider through this once, at start-up.
     */
    public static ProviderClient wrap(
            ProviderClient delegate, FaultRules rules, RandomGenerator random, ScheduledExecutorService timer) {
        return wrap(delegate, rules, random, timer, new CompositeMeterRegistry());
    }

    /** As {@link #wrap(ProviderClient, FaultRules, RandomGenerator, ScheduledExecutorService)}, counting injections. */
    public static ProviderClient wrap(
            ProviderClient delegate,
            FaultRules rules,
            RandomGenerator random,
            ScheduledExecutorService timer,
            MeterRegistry meters) {
        return rules.isEmpty() ? delegate : new FaultInjectingProviderClient(delegate, rules, random, timer, meters);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public CompletableFuture<AttemptOutcome> call(ChatCall call) {
        return invoke(call, () -> delegate.call(call), null);
    }

    /** The rules apply to a streaming call alike; a canned success goes to the sink as the chunks of its answer. */
    @Override
    public CompletableFuture<AttemptOutcome> stream(ChatCall call, dev.relay.processor.provider.ChunkSink sink) {
        return invoke(call, () -> delegate.stream(call, sink), sink);
    }

    private CompletableFuture<AttemptOutcome> invoke(
            ChatCall call,
            java.util.function.Supplier<CompletableFuture<AttemptOutcome>> real,
            dev.relay.processor.provider.ChunkSink sink) {
        if (rules.isEmpty()) {
            return real.get();
        }
        Optional<Fault> match;
        synchronized (random) { // generators such as SplittableRandom are not thread-safe; calls come from many threads
            match = rules.match(delegate.name(), call.model(), MessageText.of(call.request()), random);
        }
        if (match.isEmpty()) {
            return real.get();
        }
        Fault fault = match.get();
        log.debug(
                "fault rule {} applies to job {} on {}/{}: latency {}, {}",
                fault.ruleName(),
                call.jobId(),
                delegate.name(),
                call.model(),
                fault.latency(),
                fault.outcome().map(o -> o.getClass().getSimpleName()).orElse("then the real call"));
        Duration untilDeadline = Duration.between(clock.instant(), call.deadline());
        boolean timesOut = fault.latency().compareTo(untilDeadline) > 0;
        count(fault, timesOut);
        if (timesOut) {
            return after(untilDeadline, () -> CompletableFuture.completedFuture(timeout(fault, untilDeadline)));
        }
        return after(
                fault.latency(),
                () -> fault.outcome()
                        .map(o -> {
                            if (sink != null && o instanceof AttemptOutcome.Success s) {
                                dev.relay.processor.provider.CompletionChunks.of(s.completion())
                                        .forEach(sink::chunk);
                            }
                            return CompletableFuture.completedFuture(o);
                        })
                        .orElseGet(real));
    }

    private void count(Fault fault, boolean timesOut) {
        String kind = timesOut
                ? "timeout"
                : fault.outcome()
                        .map(o -> switch (o) {
                            case AttemptOutcome.Success s -> "success";
                            case AttemptOutcome.Failure f -> "error";
                        })
                        .orElse("latency");
        Counter.builder(INJECTED_COUNTER)
                .description("Calls answered or delayed by a mocker rule")
                .tag("provider", delegate.name())
                .tag("rule", fault.ruleName())
                .tag("kind", kind)
                .register(meters)
                .increment();
    }

    private static AttemptOutcome timeout(Fault fault, Duration waited) {
        return AttemptOutcome.Failure.of(
                FailureClass.TIMEOUT,
                null,
                null,
                null,
                "no answer within the request "
                        + "timeout (fault rule " + fault.ruleName() + " injected " + fault.latency() + ", deadline was "
                        + (waited.isNegative() ? Duration.ZERO : waited) + " away)");
    }

    /** Runs {@code next} after {@code delay} on the timer, passing its result (and a cancel) through. */
    private CompletableFuture<AttemptOutcome> after(
            Duration delay, java.util.function.Supplier<CompletableFuture<AttemptOutcome>> next) {
        if (delay.isNegative() || delay.isZero()) {
            return start(next);
        }
        CompletableFuture<AttemptOutcome> result = new CompletableFuture<>();
        AtomicReference<Future<?>> pending = new AtomicReference<>();
        Runnable fire = () -> {
            if (result.isDone()) {
                return;
            }
            CompletableFuture<AttemptOutcome> inner = start(next);
            pending.set(inner);
            inner.whenComplete((o, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(o);
                }
            });
            if (result.isCancelled()) {
                inner.cancel(true);
            }
        };
        try {
            pending.set(timer.schedule(fire, delay.toNanos(), TimeUnit.NANOSECONDS));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e); // the processor is shutting down
        }
        result.whenComplete((o, e) -> {
            if (result.isCancelled()) {
                Future<?> p = pending.get();
                if (p != null) {
                    p.cancel(true);
                }
            }
        });
        return result;
    }

    private static CompletableFuture<AttemptOutcome> start(
            java.util.function.Supplier<CompletableFuture<AttemptOutcome>> next) {
        try {
            return next.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
