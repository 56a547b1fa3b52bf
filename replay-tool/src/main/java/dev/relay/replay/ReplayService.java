package dev.relay.replay;

import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntConsumer;

/**
 * The replay tool's logic for callers other than the CLI (the dashboard): select failed jobs by id from relay.failed
 * (and FAILED results), read what happened since, plan with {@link ReplayPlanner} (the CLI's rules: skip succeeded or
 * already replayed jobs), and, when asked, republish with {@link Republisher} (transactional, fencing other runs).
 * A dry run writes nothing.
 */
public final class ReplayService {

    /** One row of the dry-run table. */
    public record Row(
            String jobId,
            int generation,
            String action,
            String reason,
            int newGeneration,
            List<String> chain,
            String errorClass) {}

    /** What a run decided and, when executed, what it committed. */
    public record Outcome(String runId, boolean dryRun, List<Row> rows, Map<String, Integer> committed) {}

    private final KafkaClients clients;
    private final Topics topics;
    private final Clock clock;

    public ReplayService(KafkaClients clients, Topics topics, Clock clock) {
        this.clients = clients;
        this.topics = topics;
        this.clock = clock;
    }

    /**
     * Plans (and with {@code execute} publishes) the replay of {@code jobIds}, which failed at or after
     * {@code since}; {@code chain} (may be empty) replaces their chains; {@code progress} hears each committed job.
     */
    public Outcome run(
            Set<String> jobIds,
            Instant since,
            List<Target> chain,
            boolean execute,
            String by,
            String reason,
            IntConsumer progress) {
        String runId = UUID.randomUUID().toString().substring(0, 8);
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(clients.registryUrl()));
        TopicScanner scanner = new TopicScanner(clients::consumer, clients.timeout(), 2);
        JobFilter filter = new JobFilter(jobIds, Set.of(), Set.of(), Set.of(), Set.of(), Set.of());
        try (Republisher publisher =
                new Republisher(() -> clients.producer("relay-replay-" + topics.prefix()), serdes, topics, 500, 0, 0)) {
            if (execute) {
                publisher.open();
            }
            Selection.Result selection = new Selection(scanner, serdes, topics).select(since, null, filter, true);
            List<Candidate> selected = selection.candidates();
            Set<String> ids = new HashSet<>();
            Set<String> needJobs = new HashSet<>();
            selected.forEach(c -> {
                ids.add(c.jobId());
                if (!c.hasJob()) {
                    needJobs.add(c.jobId());
                }
            });
            long earliest =
                    selected.stream().mapToLong(Candidate::submittedAt).min().orElse(clock.millis());
            LogHistory.Facts facts =
                    new LogHistory(scanner, serdes, topics).read(ids, needJobs, Instant.ofEpochMilli(earliest));
            Plan plan = new ReplayPlanner(false, chain).plan(selection, facts);
            List<Row> rows = new ArrayList<>();
            for (Plan.Replay r : plan.replays()) {
                rows.add(new Row(
                        r.candidate().jobId(),
                        r.candidate().generation(),
                        "REPLAY",
                        null,
                        r.newGeneration(),
                        r.chain().stream()
                                .map(t -> t.getProvider() + "/" + t.getModel())
                                .toList(),
                        String.valueOf(r.candidate().errorClass())));
            }
            for (Plan.Skip s : plan.skips()) {
                rows.add(new Row(
                        s.candidate().jobId(),
                        s.candidate().generation(),
                        "SKIP",
                        s.reason() + ": " + s.detail(),
                        -1,
                        s.candidate().chain().stream()
                                .map(t -> t.getProvider() + "/" + t.getModel())
                                .toList(),
                        String.valueOf(s.candidate().errorClass())));
            }
            Map<String, Integer> committed = Map.of();
            if (execute && !plan.replays().isEmpty()) {
                ReplayOrigin origin = ReplayOrigin.of(runId, clock.instant(), by, reason);
                int[] done = {0};
                committed = publisher
                        .publish(plan.replays(), origin, new Progress() {
                            @Override
                            public void step() {
                                progress.accept(++done[0]);
                            }

                            @Override
                            public void close() {}
                        })
                        .committed();
            }
            return new Outcome(runId, !execute, List.copyOf(rows), committed);
        }
    }
}
