package dev.relay.bench.processor;

import dev.relay.bench.ChildJvm;
import dev.relay.schemas.Job;
import dev.relay.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How long a processor instance's partitions stall when the instance dies, and what a clean restart costs. Three
 * processors ({@code RelayMain processor}, each its own JVM and state dir, one application id) share 6 partitions; jobs go
 * to every partition at a steady rate against a provider answering after 100 ms (the built-in mock). Then:
 * <ol>
 *   <li>kill -9 of one processor (not restarted): per input partition, the longest gap between two results;</li>
 *   <li>SIGTERM of a second processor and an immediate restart on the same state dir (same static member id): the
 *       same gaps, and whether the third processor went through a rebalance.</li>
 * </ol>
 * The group settings under test come from the arguments:
 * <pre>
 * java -cp "$CP" dev.relay.bench.processor.FailoverBench classic 45000 3000    # Streams' defaults, static member
 * java -cp "$CP" dev.relay.bench.processor.FailoverBench classic 6000 1500     # the broker's minimum session
 * java -cp "$CP" dev.relay.bench.processor.FailoverBench streams 6000 1500     # KIP-1071 (broker minimum lowered)
 * </pre>
 * Appends its figures to {@code bench/reports/processor-failover.md} (or the path of the fourth argument).
 */
public final class FailoverBench {

    private static final int PARTITIONS = 6;
    private static final int RATE_PER_SECOND = 60;

    private FailoverBench() {}

    public static void main(String[] args) throws Exception {
        System.getProperties().putIfAbsent("logback.configurationFile", "dev/relay/bench/processor/logback-bench.xml");
        String protocol = args.length > 0 ? args[0] : "classic";
        int sessionMs = args.length > 1 ? Integer.parseInt(args[1]) : 6000;
        int heartbeatMs = args.length > 2 ? Integer.parseInt(args[2]) : 1500;
        Path report = Path.of(args.length > 3 ? args[3] : "bench/reports/processor-failover.md");
        // 0: Relay's default; else the Streams producer's transaction.timeout.ms
        int transactionMs = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        // 0: the embedded broker's default; else how often the broker aborts transactions that timed out
        int abortCheckMs = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        Map<String, String> broker = new HashMap<>();
        Map<String, String> client = new LinkedHashMap<>();
        if (transactionMs > 0) {
            client.put("producer.transaction.timeout.ms", Integer.toString(transactionMs));
        }
        if (abortCheckMs > 0) {
            broker.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", Integer.toString(abortCheckMs));
        }
        if (protocol.equals("streams")) {
            // KIP-1071: the session lives on the broker; its floor (45 s by default) is a broker setting
            broker.put("group.streams.session.timeout.ms", Integer.toString(sessionMs));
            broker.put("group.streams.min.session.timeout.ms", Integer.toString(Math.min(sessionMs, 45_000)));
            broker.put("group.streams.heartbeat.interval.ms", Integer.toString(heartbeatMs));
            broker.put("group.streams.min.heartbeat.interval.ms", Integer.toString(Math.min(heartbeatMs, 5_000)));
            broker.put("group.streams.initial.rebalance.delay.ms", "0");
            client.put("group.protocol", "streams");
        } else {
            client.put("session.timeout.ms", Integer.toString(sessionMs));
            client.put("heartbeat.interval.ms", Integer.toString(heartbeatMs));
        }
        String load = BenchStack.loadAverage();
        try (BenchStack stack = new BenchStack(broker)) {
            Topics topics = stack.topics(PARTITIONS);
            // the built-in mock provider, answering after 100 ms in each processor's JVM (the runs in the report
            // used a local OpenAI-format HTTP server with the same delay; what is measured here is Kafka's part)
            String providers = """
                    "local": {"type": "mock", "keys": [], "latency": "100ms"}
                    """;
            StringBuilder props = new StringBuilder();
            client.forEach((k, v) -> props.append(props.isEmpty() ? "" : ", ")
                    .append('"')
                    .append(k)
                    .append("\": \"")
                    .append(v)
                    .append('"'));
            List<Path> configs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path config = stack.dir.resolve("relay-" + i + ".json");
                String json = stack.config(
                                topics,
                                "bench-failover",
                                providers,
                                ", \"commit_interval\": \"20ms\", \"properties\": {" + props + "}")
                        .replace(
                                stack.dir.resolve("state-bench-failover").toString(),
                                stack.dir.resolve("state-" + i).toString())
                        .formatted(ChildJvm.freePort());
                Files.writeString(config, json);
                configs.add(config);
            }
            Process[] procs = new Process[3];
            Path[] logs = new Path[3];
            for (int i = 0; i < 3; i++) {
                logs[i] = stack.dir.resolve("processor-" + i + ".log");
                procs[i] = ChildJvm.start(ChildJvm.PROCESSOR, List.of("-Xmx384m"), configs.get(i), logs[i]);
            }
            Results results = new Results(stack.broker.bootstrapServers(), topics.results());
            AtomicBoolean producing = new AtomicBoolean(true);
            Map<String, Integer> partitionOf = new ConcurrentHashMap<>();
            Thread producer = Thread.ofPlatform()
                    .name("steady-producer")
                    .start(() -> produceSteadily(stack, topics, partitionOf, producing));
            try {
                for (int i = 0; i < 3; i++) {
                    ChildJvm.awaitLine(logs[i], "-> RUNNING", procs[i], Duration.ofSeconds(120));
                }
                awaitSettled(logs, results, partitionOf, Duration.ofSeconds(60));
                System.out.println("three processors running, results flowing on every partition");

                // 1) kill -9 processor 0, never restarted
                long killAt = System.nanoTime();
                procs[0].destroyForcibly().waitFor();
                Thread.sleep(Math.max(20_000, sessionMs + 15_000L));
                Map<Integer, Long> killGaps = results.maxGaps(partitionOf, killAt - 1_000_000_000L, System.nanoTime());
                System.out.println("kill -9: longest gap between results per partition (ms) " + killGaps);

                // 2) SIGTERM processor 1 and start it again at once on the same state dir
                int rebalancesBefore = count(logs[2], "-> REBALANCING");
                long termAt = System.nanoTime();
                procs[1].destroy();
                procs[1].waitFor(30, TimeUnit.SECONDS);
                long exitedAt = System.nanoTime();
                Path restartLog = stack.dir.resolve("processor-1-restart.log");
                procs[1] = ChildJvm.start(ChildJvm.PROCESSOR, List.of("-Xmx384m"), configs.get(1), restartLog);
                ChildJvm.awaitLine(restartLog, "-> RUNNING", procs[1], Duration.ofSeconds(120));
                long runningAt = System.nanoTime();
                Thread.sleep(Math.max(15_000, sessionMs + 10_000L));
                Map<Integer, Long> restartGaps =
                        results.maxGaps(partitionOf, termAt - 1_000_000_000L, System.nanoTime());
                int rebalances = count(logs[2], "-> REBALANCING") - rebalancesBefore;
                System.out.printf(
                        "clean restart: exit %d ms after SIGTERM, RUNNING %d ms after the new launch;"
                                + " processor 2 rebalanced %d time(s); gaps (ms) %s%n",
                        ms(exitedAt - termAt), ms(runningAt - exitedAt), rebalances, restartGaps);

                producing.set(false);
                producer.join();
                int produced = partitionOf.size();
                Thread.sleep(5_000);
                Map<String, Integer> perJob = results.counts();
                long missing = partitionOf.keySet().stream()
                        .filter(k -> !perJob.containsKey(k))
                        .count();
                long duplicates = perJob.values().stream().filter(n -> n > 1).count();
                System.out.printf(
                        "%d jobs produced, %d without a result, %d with more than one%n",
                        produced, missing, duplicates);
                String row = String.format(
                        "| %s | %d / %d | %s | %s | %s | %d | %s | %d ms | %d | %d / %d / %d | %s |",
                        protocol,
                        sessionMs,
                        heartbeatMs,
                        transactionMs == 0 ? "default" : transactionMs,
                        abortCheckMs == 0 ? "default" : abortCheckMs,
                        summary(killGaps),
                        ms(exitedAt - termAt),
                        summary(restartGaps),
                        ms(runningAt - exitedAt),
                        rebalances,
                        produced,
                        missing,
                        duplicates,
                        load + " → " + BenchStack.loadAverage());
                append(report, row);
                System.out.println(row);
            } finally {
                producing.set(false);
                results.close();
                for (Process p : procs) {
                    if (p != null) {
                        p.destroy();
                    }
                }
                for (Process p : procs) {
                    if (p != null && !p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
        System.exit(0);
    }

    /** Every partition's gap, longest first, e.g. "9,812 / 9,640 / 310 / 250 / 240 / 230". */
    static String summary(Map<Integer, Long> gaps) {
        if (gaps.size() < PARTITIONS) {
            return "partitions without results: " + gaps;
        }
        return gaps.values().stream()
                .sorted((x, y) -> Long.compare(y, x))
                .map(g -> String.format("%,d", g))
                .collect(java.util.stream.Collectors.joining(" / "));
    }

    static void produceSteadily(
            BenchStack stack, Topics topics, Map<String, Integer> partitionOf, AtomicBoolean producing) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        try (var producer = new KafkaProducer<String, Job>(
                p, new StringSerializer(), stack.serdes.job().serializer())) {
            long next = System.nanoTime();
            for (int i = 0; producing.get(); i++) {
                String id = "f-" + i;
                int partition = i % PARTITIONS;
                producer.send(
                        new ProducerRecord<>(topics.jobs(), partition, id, BenchStack.job(id, List.of("local/m"))));
                partitionOf.put(id, partition);
                next += 1_000_000_000L / RATE_PER_SECOND;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Until every partition had a result in the last second and no processor rebalanced for 5 s. */
    static void awaitSettled(Path[] logs, Results results, Map<String, Integer> partitionOf, Duration timeout)
            throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        int lastCount = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < until) {
            int n = 0;
            for (Path log : logs) {
                n += count(log, "-> REBALANCING");
            }
            if (n != lastCount) {
                lastCount = n;
                stableSince = System.nanoTime();
            }
            long now = System.nanoTime();
            Map<Integer, Long> gaps = results.lastSeen(partitionOf);
            boolean flowing =
                    gaps.size() == PARTITIONS && gaps.values().stream().allMatch(t -> now - t < 1_000_000_000L);
            if (flowing && now - stableSince > 5_000_000_000L) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the three processors did not settle within " + timeout);
    }

    static int count(Path log, String needle) throws Exception {
        return (int)
                Files.readAllLines(log).stream().filter(l -> l.contains(needle)).count();
    }

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    static void append(Path report, String row) throws Exception {
        if (!Files.exists(report)) {
            Files.writeString(report, """
                    # Processor failover

                    `FailoverBench` (see its javadoc): three processors (`RelayMain processor`, own JVMs, `-Xmx384m`, one
                    stream thread each, exactly_once_v2, commit 20 ms, static membership), 6 partitions, %d jobs/s
                    spread evenly, a provider answering after 100 ms, the in-JVM broker.
                    A gap is the longest time between two results of one input partition around the event, read
                    read_committed from the results topic; a partition of the killed instance shows the stall.

                    | protocol | session / heartbeat ms | transaction timeout ms | broker abort check ms | kill -9: longest partition gaps (ms) | SIGTERM → exit ms | clean restart: longest gaps (ms) | restart → RUNNING | rebalances seen by a bystander | jobs / missing / duplicated | load (1/5/15) before → after |
                    |---|---|---|---|---|---|---|---|---|---|---|
                    """.formatted(RATE_PER_SECOND));
        }
        Files.writeString(report, row + "\n", java.nio.file.StandardOpenOption.APPEND);
    }

    /** Reads the results topic read_committed and keeps each job's arrival time and result count. */
    static final class Results implements AutoCloseable {
        private final Map<String, Long> arrival = new ConcurrentHashMap<>();
        private final Map<String, Integer> counts = new ConcurrentHashMap<>();
        private volatile boolean stop;
        private final Thread thread;

        Results(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "failover-reader-" + System.nanoTime());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            thread = Thread.ofPlatform().name("results").start(() -> {
                try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                    c.subscribe(List.of(topic));
                    while (!stop) {
                        for (var r : c.poll(Duration.ofMillis(20))) {
                            arrival.putIfAbsent(r.key(), System.nanoTime());
                            counts.merge(r.key(), 1, Integer::sum);
                        }
                    }
                }
            });
        }

        Map<String, Integer> counts() {
            return Map.copyOf(counts);
        }

        Map<Integer, Long> lastSeen(Map<String, Integer> partitionOf) {
            Map<Integer, Long> last = new TreeMap<>();
            arrival.forEach((job, t) -> {
                Integer p = partitionOf.get(job);
                if (p != null) {
                    last.merge(p, t, Math::max);
                }
            });
            return last;
        }

        /** Per input partition, the longest gap in ms between consecutive result arrivals within [from, to]. */
        Map<Integer, Long> maxGaps(Map<String, Integer> partitionOf, long from, long to) {
            Map<Integer, List<Long>> times = new TreeMap<>();
            arrival.forEach((job, t) -> {
                Integer p = partitionOf.get(job);
                if (p != null && t >= from && t <= to) {
                    times.computeIfAbsent(p, k -> new ArrayList<>()).add(t);
                }
            });
            Map<Integer, Long> gaps = new TreeMap<>();
            times.forEach((p, ts) -> {
                ts.sort(Long::compare);
                long max = ts.get(0) - from;
                for (int i = 1; i < ts.size(); i++) {
                    max = Math.max(max, ts.get(i) - ts.get(i - 1));
                }
                max = Math.max(max, to - ts.get(ts.size() - 1));
                gaps.put(p, ms(max));
            });
            return gaps;
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5_000);
        }
    }
}
