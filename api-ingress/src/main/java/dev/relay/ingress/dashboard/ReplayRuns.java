package dev.relay.ingress.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.replay.ReplayService;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replays started from the dashboard: a dry run answers at once with the replay tool's table; an executed run goes on
 * in the background (one at a time, the replay tool fences concurrent runs anyway) and reports its progress.
 */
public final class ReplayRuns {

    /** One executed run as the UI follows it. */
    static final class Run {
        final String id = UUID.randomUUID().toString().substring(0, 8);
        final int total;
        final AtomicInteger done = new AtomicInteger();
        volatile String state = "running";
        volatile String error;
        volatile ReplayService.Outcome outcome;

        Run(int total) {
            this.total = total;
        }
    }

    private static final int KEEP = 50;

    private final ReplayService service;
    private final ObjectMapper json;
    private final Map<String, Run> runs = new LinkedHashMap<>();

    public ReplayRuns(ReplayService service, ObjectMapper json) {
        this.service = service;
        this.json = json;
    }

    public ReplayService.Outcome dryRun(Set<String> ids, Instant since, List<Target> chain) {
        return service.run(ids, since, chain, false, "dashboard", null, n -> {});
    }

    public synchronized String start(Set<String> ids, Instant since, List<Target> chain, String reason) {
        Run run = new Run(ids.size());
        runs.put(run.id, run);
        while (runs.size() > KEEP) {
            runs.remove(runs.keySet().iterator().next());
        }
        Thread.ofVirtual().name("dashboard-replay-" + run.id).start(() -> {
            try {
                run.outcome = service.run(ids, since, chain, true, "dashboard", reason, run.done::set);
                run.state = "done";
            } catch (RuntimeException e) {
                run.error = e.getMessage();
                run.state = "failed";
            }
        });
        return run.id;
    }

    public synchronized Optional<ObjectNode> status(String id) {
        Run run = runs.get(id);
        if (run == null) {
            return Optional.empty();
        }
        ObjectNode n = json.createObjectNode();
        n.put("id", run.id);
        n.put("state", run.state);
        n.put("selected", run.total);
        n.put("committed", run.done.get());
        n.put("error", run.error);
        if (run.outcome != null) {
            n.set("rows", json.valueToTree(run.outcome.rows()));
            n.set("committed_jobs", json.valueToTree(run.outcome.committed()));
        }
        return Optional.of(n);
    }
}
