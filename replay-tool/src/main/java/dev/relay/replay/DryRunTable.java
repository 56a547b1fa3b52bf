package dev.relay.replay;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The human-readable output: a table of the jobs to replay (first {@code limit} rows) and the summary counts. */
final class DryRunTable {

    private static final String ROW = "%-36s %4s %-18s %-40s %-12s %-12s %-20s%n";

    private DryRunTable() {}

    static void print(PrintWriter out, Plan plan, int limit) {
        List<Plan.Replay> replays = plan.replays();
        if (!replays.isEmpty()) {
            out.printf(ROW, "JOB ID", "GEN", "ERROR CLASS", "CHAIN (AFTER REPLAY)", "TENANT", "BATCH", "FAILED AT");
            replays.stream().limit(limit).forEach(r -> {
                Candidate c = r.candidate();
                out.printf(
                        ROW,
                        c.jobId(),
                        c.generation() + ">" + r.newGeneration(),
                        c.errorClass(),
                        abbreviate(ChainSpec.format(r.chain()), 40),
                        nz(c.tenant()),
                        nz(c.batchId()),
                        Instant.ofEpochMilli(c.recordTimestamp()).toString());
            });
            if (replays.size() > limit) {
                out.printf("... and %d more (see --report FILE for all)%n", replays.size() - limit);
            }
        }
    }

    static void summary(PrintWriter out, List<Candidate> selected, Plan plan, boolean dryRun, int committed) {
        out.printf(
                "%nselected %d failed job(s); %s %d; skipped %d%n",
                selected.size(),
                dryRun ? "would replay" : "replayed",
                dryRun ? plan.replays().size() : committed,
                plan.skips().size());
        printCounts(out, "by error class", ReplayReport.countBy(selected, Candidate::errorClass));
        printCounts(out, "by provider (primary)", ReplayReport.countBy(selected, Candidate::provider));
        if (!plan.skips().isEmpty()) {
            Map<String, Long> byReason = new java.util.TreeMap<>();
            plan.skips().forEach(s -> byReason.merge(s.reason().name(), 1L, Long::sum));
            printCounts(out, "skipped by reason", byReason);
        }
        if (dryRun && !plan.replays().isEmpty()) {
            out.println("\ndry run: nothing was written. Run again with --execute to replay.");
        }
    }

    private static void printCounts(PrintWriter out, String title, Map<String, Long> counts) {
        out.println(title + ":");
        counts.forEach((k, v) -> out.printf("  %-24s %8d%n", k, v));
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }
}
