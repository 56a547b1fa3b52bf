package dev.relay.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The JSON report of one run ({@code --report FILE}): the options, what each topic scan read, counts, and one entry
 * per selected, replayed and skipped job (with the reason). Format in docs/replay.md.
 */
public record ReplayReport(
        String runId,
        boolean dryRun,
        Instant startedAt,
        Instant finishedAt,
        Map<String, Object> options,
        List<ScanStats> scans,
        List<Candidate> selected,
        Plan plan,
        Map<String, Integer> committed,
        String outcome) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static Map<String, Long> countBy(List<Candidate> candidates, Function<Candidate, ?> key) {
        Map<String, Long> counts = new TreeMap<>();
        candidates.forEach(c -> counts.merge(String.valueOf(key.apply(c)), 1L, Long::sum));
        return counts;
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("run_id", runId);
        root.put("mode", dryRun ? "dry-run" : "execute");
        root.put("outcome", outcome);
        root.put("started_at", startedAt.toString());
        root.put("finished_at", finishedAt.toString());
        root.set("options", JSON.valueToTree(options));
        ArrayNode scanArray = root.putArray("scans");
        for (ScanStats s : scans) {
            ObjectNode n = scanArray.addObject();
            n.put("topic", s.topic());
            n.put("partitions", s.partitions());
            n.put("skipped_before_window", s.skippedBeforeStart());
            n.put("records_read", s.recordsRead());
            n.put("records_decoded", s.recordsDecoded());
            n.put("records_matched", s.recordsMatched());
            n.put("undecodable", s.undecodable());
            n.put("millis", s.millis());
            n.put("records_per_second", Math.round(s.recordsPerSecond()));
        }
        ObjectNode counts = root.putObject("counts");
        counts.put("selected", selected.size());
        counts.put(dryRun ? "would_replay" : "replayed", dryRun ? plan.replays().size() : committed.size());
        counts.put("skipped", plan.skips().size());
        root.set("by_error_class", JSON.valueToTree(countBy(selected, Candidate::errorClass)));
        root.set("by_provider", JSON.valueToTree(countBy(selected, Candidate::provider)));
        ArrayNode sel = root.putArray("selected");
        for (Candidate c : selected) {
            ObjectNode n = sel.addObject();
            n.put("job_id", c.jobId());
            n.put("generation", c.generation());
            n.put("source", c.source().name());
            n.put("error_class", String.valueOf(c.errorClass()));
            n.put("terminal_reason", c.terminalReason());
            n.put("provider", c.provider());
            n.put("model", c.model());
            n.put("tenant", c.tenant());
            n.put("batch_id", c.batchId());
            n.put("record_time", Instant.ofEpochMilli(c.recordTimestamp()).toString());
            n.put("location", c.topic() + "-" + c.partition() + "@" + c.offset());
        }
        ArrayNode rep = root.putArray("replayed");
        for (Plan.Replay r : plan.replays()) {
            if (!dryRun && !committed.containsKey(r.candidate().jobId())) {
                continue; // planned but not committed (interrupted or failed run)
            }
            ObjectNode n = rep.addObject();
            n.put("job_id", r.candidate().jobId());
            n.put("from_generation", r.candidate().generation());
            n.put("to_generation", r.newGeneration());
            n.put("chain", ChainSpec.format(r.chain()));
            n.put("committed", !dryRun);
        }
        ArrayNode skipped = root.putArray("skipped");
        for (Plan.Skip s : plan.skips()) {
            ObjectNode n = skipped.addObject();
            n.put("job_id", s.candidate().jobId());
            n.put("generation", s.candidate().generation());
            n.put("reason", s.reason().name());
            n.put("detail", s.detail());
        }
        return root;
    }

    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            JSON.writeValue(file.toFile(), toJson());
        } catch (IOException e) {
            throw ReplayException.usage("--report: cannot write " + file + ": " + e.getMessage());
        }
    }
}
