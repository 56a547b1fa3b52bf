package dev.relay.ingress.kafka;

import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link JobView}. No consumer group: every ingress instance assigns itself ALL partitions, so a result
 * reaches the instance whose sync caller waits for it, whichever instance that is. The compacted results topic is the
 * durable job store: it is read from where the {@link ResultStore} left off (the beginning for an empty store), and
 * the positions are checkpointed into the store as results are merged, so a restart reads only what is new. The jobs,
 * attempts and webhooks topics are read from {@code now - window} (idempotency keys, queued/running, batch membership). Reads are
 * read_committed: the processor writes results in transactions, and an aborted result must not answer a caller.
 *
 * <p>Two readers, each a consumer on its own thread: the results reader, on the sync path, and the reader of the other
 * three topics, which no caller waits on (this instance records its own jobs as it publishes them). Neither polls the
 * broker in a tight loop: one consumer with a 5 ms fetch wait cost 20 % of a core with no traffic at all
 * (bench/reports/ingress-latency.md).
 */
public final class ViewConsumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ViewConsumer.class);

    /**
     * The results reader's fetch wait. The broker answers a parked read_committed fetch as soon as a transaction's
     * commit makes a result readable (measured: at 5 requests/s, p50 the same with 5 ms and 500 ms), so this only
     * bounds how late a result could be seen if that wake-up were ever missed.
     */
    static final int RESULTS_FETCH_WAIT_MS = 100;
    /**
     * The other topics' fetch wait (the consumer's default). Nothing waits on them, so their reader also asks the broker
     * to hold each fetch until {@link #WINDOW_FETCH_MIN_BYTES} have arrived: otherwise every job published (hundreds a
     * second) would end a fetch and start the next. "running" and another instance's idempotency keys may lag by as
     * much; this instance records its own jobs as it publishes them.
     */
    static final int WINDOW_FETCH_WAIT_MS = 500;

    static final int WINDOW_FETCH_MIN_BYTES = 1 << 20;

    private final JobView view;
    private final RelaySerdes serdes;
    private final Topics topics;
    private final Clock clock;
    private final Duration window;
    private final AtomicLong resultsLag = new AtomicLong();
    private final AtomicLong undecodable = new AtomicLong();
    private final AtomicLong catchUpRecords = new AtomicLong();
    private final Reader results;
    private final Reader windowed;
    private final ResultStore store;
    private Map<TopicPartition, Long> checkpointed = Map.of(); // only the results reader's thread touches it
    private long lastPrune; // after the constructor, only the windowed reader's thread touches it

    /** {@code store} is the one {@code view} keeps its results in: the results reader resumes from its positions. */
    public ViewConsumer(
            Map<String, Object> clientProps,
            JobView view,
            ResultStore store,
            RelaySerdes serdes,
            Topics topics,
            Clock clock,
            Duration window) {
        this.view = view;
        this.store = store;
        this.serdes = serdes;
        this.topics = topics;
        this.clock = clock;
        this.window = window;
        this.lastPrune = clock.millis();
        this.results = new Reader("relay-ingress-results", clientProps, RESULTS_FETCH_WAIT_MS, 1, c -> {
            updateLag(c);
            checkpoint(c);
        });
        this.windowed = new Reader(
                "relay-ingress-view", clientProps, WINDOW_FETCH_WAIT_MS, WINDOW_FETCH_MIN_BYTES, c -> maybePrune());
    }

    /** Assigns and positions, then reads in the background; returns when the view has caught up (or the timeout). */
    public boolean start(Duration catchUpTimeout) throws InterruptedException {
        List<TopicPartition> resultPartitions = results.partitions(topics.results());
        results.consumer.assign(resultPartitions);
        results.endsAtStart = results.consumer.endOffsets(resultPartitions);
        resume(resultPartitions, results.endsAtStart);

        List<TopicPartition> recent = new ArrayList<>();
        for (String t : List.of(topics.jobs(), topics.attempts(), topics.webhooks())) {
            recent.addAll(windowed.partitions(t));
        }
        windowed.consumer.assign(recent);
        long windowStart = clock.millis() - window.toMillis();
        Map<TopicPartition, Long> since = new HashMap<>();
        recent.forEach(tp -> since.put(tp, windowStart));
        Map<TopicPartition, OffsetAndTimestamp> found = windowed.consumer.offsetsForTimes(since);
        Map<TopicPartition, Long> ends = windowed.consumer.endOffsets(recent);
        for (TopicPartition tp : recent) {
            OffsetAndTimestamp o = found.get(tp);
            windowed.consumer.seek(tp, o == null ? ends.get(tp) : o.offset());
        }
        windowed.endsAtStart = ends;

        results.thread.start();
        windowed.thread.start();
        long until = System.nanoTime() + catchUpTimeout.toNanos();
        return results.caughtUp.await(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS)
                && windowed.caughtUp.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /**
     * Positions the results reader where the store left off. A stored position past the end of the topic means the
     * topic is not the one the store was filled from (deleted and created again): the store is cleared and read anew.
     */
    private void resume(List<TopicPartition> partitions, Map<TopicPartition, Long> ends) {
        Map<TopicPartition, Long> stored = store.positions(topics.results());
        if (stored.entrySet().stream().anyMatch(e -> e.getValue() > ends.getOrDefault(e.getKey(), -1L))) {
            LOG.warn(
                    "the stored results are ahead of topic {} (was it created again?): reading it from the start",
                    topics.results());
            store.clear();
            stored = Map.of();
        }
        Map<TopicPartition, Long> begins = results.consumer.beginningOffsets(partitions);
        long toRead = 0;
        for (TopicPartition tp : partitions) {
            Long at = stored.get(tp);
            long from = at == null || at < begins.get(tp) ? begins.get(tp) : at;
            results.consumer.seek(tp, from);
            toRead += ends.get(tp) - from;
        }
        checkpointed = Map.copyOf(stored);
        catchUpRecords.set(toRead);
        LOG.info(
                "reading {} from {}: {} records to catch up",
                topics.results(),
                stored.isEmpty() ? "the beginning" : "the stored positions",
                toRead);
    }

    /** Records the results reader's positions in the store when they moved (after the poll's results were merged). */
    private void checkpoint(KafkaConsumer<String, byte[]> consumer) {
        Map<TopicPartition, Long> now = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            now.put(tp, consumer.position(tp));
        }
        if (!now.equals(checkpointed)) {
            store.checkpoint(now);
            checkpointed = now;
        }
    }

    /** Caught up with the topics at start-up, and still reading (a dead reader would leave sync calls hanging). */
    public boolean caughtUp() {
        return results.caughtUp() && windowed.caughtUp();
    }

    public long resultsLag() {
        return resultsLag.get();
    }

    /** Offsets of the results topic this instance had to read at start to catch up (what its store lacked). */
    public long catchUpRecords() {
        return catchUpRecords.get();
    }

    public long undecodable() {
        return undecodable.get();
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        try {
            String t = r.topic();
            if (t.equals(topics.results())) {
                if (r.value() != null) {
                    view.onResult(serdes.result().deserialize(t, r.value()));
                }
            } else if (t.equals(topics.jobs())) {
                view.onJob(serdes.job().deserialize(t, r.value()));
            } else if (t.equals(topics.attempts())) {
                view.onAttempt(serdes.attempt().deserialize(t, r.value()));
            } else if (t.equals(topics.webhooks())) {
                view.onWebhookState(r.key(), r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
            }
        } catch (RuntimeException e) {
            undecodable.incrementAndGet();
            LOG.warn("skipping undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
        }
    }

    /** The results reader's lag, for the gauge. */
    private void updateLag(KafkaConsumer<String, byte[]> consumer) {
        long lag = 0;
        for (TopicPartition tp : consumer.assignment()) {
            lag += consumer.currentLag(tp).orElse(0);
        }
        resultsLag.set(lag);
    }

    /** Forgets what left the idempotency window, once a minute. */
    private void maybePrune() {
        if (clock.millis() - lastPrune > 60_000) {
            view.prune();
            lastPrune = clock.millis();
        }
    }

    @Override
    public void close() {
        results.stop();
        windowed.stop();
        results.join();
        windowed.join();
    }

    /** One consumer and its thread; {@code afterPoll} runs on that thread after each poll. */
    private final class Reader {
        final KafkaConsumer<String, byte[]> consumer;
        final Thread thread;
        final Consumer<KafkaConsumer<String, byte[]>> afterPoll;
        final CountDownLatch caughtUp = new CountDownLatch(1);
        volatile Map<TopicPartition, Long> endsAtStart = Map.of();
        volatile boolean running = true;

        Reader(
                String name,
                Map<String, Object> clientProps,
                int fetchWaitMs,
                int fetchMinBytes,
                Consumer<KafkaConsumer<String, byte[]>> afterPoll) {
            this.afterPoll = afterPoll;
            Map<String, Object> p = new HashMap<>(clientProps);
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
            p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchWaitMs);
            p.putIfAbsent(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, fetchMinBytes);
            Object clientId = clientProps.get(ConsumerConfig.CLIENT_ID_CONFIG);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId == null ? name : clientId + "-" + name);
            p.remove(ConsumerConfig.GROUP_ID_CONFIG);
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
        }

        List<TopicPartition> partitions(String topic) {
            var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; create Relay's topics first");
            }
            return infos.stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition()))
                    .toList();
        }

        boolean caughtUp() {
            return caughtUp.getCount() == 0 && thread.isAlive();
        }

        private void run() {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        apply(r);
                    }
                    if (caughtUp.getCount() > 0 && reachedStartEnds()) {
                        caughtUp.countDown();
                        LOG.info("{} caught up: the job view holds {} entries", thread.getName(), view.size());
                    }
                    afterPoll.accept(consumer);
                }
            } catch (WakeupException e) {
                if (running) {
                    LOG.error("{} woken unexpectedly", thread.getName(), e);
                }
            } catch (RuntimeException e) {
                LOG.error("{} stopped: sync calls on this instance will time out", thread.getName(), e);
            } finally {
                consumer.close(Duration.ofSeconds(2));
            }
        }

        private boolean reachedStartEnds() {
            for (Map.Entry<TopicPartition, Long> e : endsAtStart.entrySet()) {
                if (consumer.position(e.getKey()) < e.getValue()) {
                    return false;
                }
            }
            return true;
        }

        void stop() {
            running = false;
            consumer.wakeup();
        }

        void join() {
            if (thread.getState() == Thread.State.NEW) { // never started (start-up failed): close it here
                consumer.close(Duration.ofSeconds(2));
                return;
            }
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
