package dev.relay.replay;

import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * One replay run: check the broker and registry, (execute: fence earlier runs), select, read what happened since,
 * plan, print, (execute: publish), report. Order matters for idempotency: the producer fences other runs before the
 * log is read, so the generations it reads cannot change under it.
 */
final class ReplayRun {

    record Settings(
            KafkaClients clients,
            Topics topics,
            Instant since,
            Instant until,
            JobFilter filter,
            boolean includeFailedResults,
            boolean execute,
            List<Target> chain,
            double rate,
            boolean force,
            Path report,
            int commitEvery,
            int show,
            long haltAfter,
            int scanThreads,
            String reason,
            Clock clock,
            Map<String, Object> options) {}

    private final Settings s;
    private final PrintWriter out;
    private final PrintWriter err;

    ReplayRun(Settings settings, PrintWriter out, PrintWriter err) {
        this.s = settings;
        this.out = out;
        this.err = err;
    }

    int run() {
        Instant started = s.clock().instant();
        String runId = UUID.randomUUID().toString().substring(0, 8);
        s.clients().checkBroker();
        s.clients().checkRegistry();
        RelaySerdes serdes =
                RelaySerdes.create(SchemaRegistryClient.create(s.clients().registryUrl()));
        TopicScanner scanner =
                new TopicScanner(s.clients()::consumer, s.clients().timeout(), s.scanThreads());
        try (Republisher publisher = new Republisher(
                () -> s.clients().producer("relay-replay-" + s.topics().prefix()),
                serdes,
                s.topics(),
                s.commitEvery(),
                s.rate(),
                s.haltAfter())) {
            if (s.execute()) {
                publisher.open(); // fence any other (or killed) run before reading what was already replayed
            }
            Selection.Result selection = new Selection(scanner, serdes, s.topics())
                    .select(s.since(), s.until(), s.filter(), s.includeFailedResults());
            List<Candidate> selected = selection.candidates();
            err.printf("scanned %s%n", describe(selection.scans()));
            if (selected.isEmpty()) {
                out.println("nothing matched: no failed job " + describeSelection() + ". Widen --since/--until "
                        + "or the filters (--include-failed-results also reads FAILED results).");
                writeReport(
                        runId,
                        started,
                        selection,
                        List.of(),
                        new Plan(List.of(), List.of()),
                        Map.of(),
                        "NOTHING_MATCHED");
                return ReplayMain.EXIT_NOTHING_MATCHED;
            }
            Set<String> ids = selected.stream().map(Candidate::jobId).collect(Collectors.toSet());
            Set<String> needJobs = new HashSet<>();
            selected.stream().filter(c -> !c.hasJob()).forEach(c -> needJobs.add(c.jobId()));
            long earliest =
                    selected.stream().mapToLong(Candidate::submittedAt).min().orElseThrow();
            LogHistory.Facts facts =
                    new LogHistory(scanner, serdes, s.topics()).read(ids, needJobs, Instant.ofEpochMilli(earliest));
            List<ScanStats> scans = new java.util.ArrayList<>(selection.scans());
            scans.addAll(facts.scans());
            Plan plan = new ReplayPlanner(s.force(), s.chain()).plan(selection, facts);
            DryRunTable.print(out, plan, s.show());
            Map<String, Integer> committed = Map.of();
            String outcome = "DRY_RUN";
            if (s.execute() && !plan.replays().isEmpty()) {
                ReplayOrigin origin = ReplayOrigin.of(runId, s.clock().instant(), whoAmI(), s.reason());
                out.flush();
                try (Progress progress =
                        Progress.create("replay", plan.replays().size(), Progress.stdoutIsTerminal(), err)) {
                    committed =
                            publisher.publish(plan.replays(), origin, progress).committed();
                } catch (RuntimeException e) {
                    writeReport(
                            runId, started, scans, selected, plan, publisher.committed(), "FAILED: " + e.getMessage());
                    throw e;
                }
                outcome = "REPLAYED";
            } else if (s.execute()) {
                outcome = "NOTHING_TO_REPLAY";
            }
            DryRunTable.summary(out, selected, plan, !s.execute(), committed.size());
            writeReport(runId, started, scans, selected, plan, committed, outcome);
            return ReplayMain.EXIT_OK;
        }
    }

    private void writeReport(
            String runId,
            Instant started,
            Selection.Result selection,
            List<Candidate> selected,
            Plan plan,
            Map<String, Integer> committed,
            String outcome) {
        writeReport(runId, started, selection.scans(), selected, plan, committed, outcome);
    }

    private void writeReport(
            String runId,
            Instant started,
            List<ScanStats> scans,
            List<Candidate> selected,
            Plan plan,
            Map<String, Integer> committed,
            String outcome) {
        if (s.report() == null) {
            return;
        }
        new ReplayReport(
                        runId,
                        !s.execute(),
                        started,
                        s.clock().instant(),
                        s.options(),
                        scans,
                        selected,
                        plan,
                        committed,
                        outcome)
                .write(s.report());
        err.println("report written to " + s.report());
    }

    private String describeSelection() {
        StringBuilder b = new StringBuilder("on " + s.topics().failed());
        if (s.since() != null) {
            b.append(" since ").append(s.since());
        }
        if (s.until() != null) {
            b.append(" until ").append(s.until());
        }
        if (!s.filter().isEmpty()) {
            b.append(" matched the filters");
        }
        return b.toString();
    }

    private static String describe(List<ScanStats> scans) {
        return scans.stream()
                .map(x -> x.topic() + ": " + x.recordsRead() + " records read ("
                        + x.skippedBeforeStart() + " before the window not read), " + x.recordsMatched() + " matched, "
                        + x.millis() + " ms")
                .collect(Collectors.joining("; "));
    }

    private static String whoAmI() {
        String user = System.getProperty("user.name", "unknown");
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown-host";
            }
        }
        return user + "@" + host;
    }
}
