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
 * reaches the instance whose sync caller waits for it, whichever instance that is. The compacted results topic is read
 * from the beginning (it is the durable job store: the view survives restarts by re-reading it); the jobs, attempts and
 * webhooks topics from {@code now - window} (idempotency keys, queued/running, batch membership). Reads are
 * read_committed: the processor writes results in transactions, and an aborted result must not answer a caller.
 */
public final class ViewConsumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ViewConsumer.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final JobView view;
    private final RelaySerdes serdes;
    private final Topics topics;
    private final Clock clock;
    private final Duration window;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final AtomicLong resultsLag = new AtomicLong();
    private final AtomicLong undecodable = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    public ViewConsumer(Map<String, Object> clientProps, JobView view, RelaySerdes serdes, Topics topics, Clock clock,
            Duration window) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        // A read_committed fetch parked on the broker is not woken when a transaction commits; without a short wait a
        // result can sit up to fetch.max.wait.ms (500 ms) before a sync caller sees it (bench/reports/ingress-latency.md).
        p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "relay-ingress-view");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.view = view;
        this.serdes = serdes;
        this.topics = topics;
        this.clock = clock;
        this.window = window;
        this.thread = Thread.ofPlatform().name("relay-ingress-view").daemon().unstarted(this::run);
    }

    /** Assigns and positions, then reads in the background; returns when the view has caught up (or the timeout). */
    public boolean start(Duration catchUpTimeout) throws InterruptedException {
        List<TopicPartition> results = partitions(topics.results());
        List<TopicPartition> windowed = new ArrayList<>();
        for (String t : List.of(topics.jobs(), topics.attempts(), topics.webhooks())) {
            windowed.addAll(partitions(t));
        }
        List<TopicPartition> all = new ArrayList<>(results);
        all.addAll(windowed);
        consumer.assign(all);
        consumer.seekToBeginning(results);
        Map<TopicPartition, Long> since = new HashMap<>();
        windowed.forEach(tp -> since.put(tp, clock.millis() - window.toMillis()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(since);
        Map<TopicPartition, Long> ends = consumer.endOffsets(all);
        for (TopicPartition tp : windowed) {
            OffsetAndTimestamp o = found.get(tp);
            consumer.seek(tp, o == null ? ends.get(tp) : o.offset());
        }
        this.endsAtStart = ends;
        thread.start();
        return caughtUp.await(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private volatile Map<TopicPartition, Long> endsAtStart = Map.of();

    /** Caught up with the topics at start-up, and still reading (a dead reader would leave sync calls hanging). */
    public boolean caughtUp() {
        return caughtUp.getCount() == 0 && thread.isAlive();
    }

    public long resultsLag() {
        return resultsLag.get();
    }

    public long undecodable() {
        return undecodable.get();
    }

    private List<TopicPartition> partitions(String topic) {
        var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist; create Relay's topics first");
        }
        return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    }

    private void run() {
        long lastPrune = clock.millis();
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r);
                }
                if (caughtUp.getCount() > 0 && reachedStartEnds()) {
                    caughtUp.countDown();
                    LOG.info("job view caught up: {} entries", view.size());
                }
                updateLag();
                if (clock.millis() - lastPrune > 60_000) {
                    view.prune();
                    lastPrune = clock.millis();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("view consumer woken unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("view consumer stopped: sync calls on this instance will time out", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
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

    private boolean reachedStartEnds() {
        for (Map.Entry<TopicPartition, Long> e : endsAtStart.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void updateLag() {
        long lag = 0;
        for (TopicPartition tp : consumer.assignment()) {
            if (tp.topic().equals(topics.results())) {
                lag += consumer.currentLag(tp).orElse(0);
            }
        }
        resultsLag.set(lag);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
