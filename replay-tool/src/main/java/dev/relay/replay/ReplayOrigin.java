package dev.relay.replay;

import dev.relay.schemas.Job;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Who and what produced a replay, and how a failed job becomes its replay: same job id, hop 0, generation raised,
 * origin recorded, the chain optionally rewritten, and the deadline dropped (it was the original caller's; a replay
 * is an operator's decision). The attempts of earlier generations are carried (each is tagged with its generation),
 * because the processor's JobResult lists the job's attempts and is meant to show every generation's; the processor
 * counts retries of the new generation itself and does not read them.
 *
 * @param origin e.g. {@code replay:2026-11-24T21:30:00Z by alice@ops-1 run 4f2a9c1e: INC-1234 openai outage}
 */
public record ReplayOrigin(String runId, Instant at, String by, String origin) {

    public static ReplayOrigin of(String runId, Instant at, String by) {
        return of(runId, at, by, null);
    }

    /** With the operator's {@code --reason}, e.g. {@code replay:... run 4f2a9c1e: INC-1234 openai outage}. */
    public static ReplayOrigin of(String runId, Instant at, String by, String reason) {
        String origin = "replay:" + at + " by " + by + " run " + runId + (reason == null ? "" : ": " + reason);
        return new ReplayOrigin(runId, at, by, origin);
    }

    public Job rewrite(Plan.Replay replay) {
        Job old = replay.candidate().job();
        Map<String, String> metadata = new HashMap<>(old.getMetadata());
        metadata.put("replay.run_id", runId);
        metadata.put("replay.by", by);
        metadata.put("replay.at", at.toString());
        metadata.put("replay.previous_generation", Integer.toString(old.getReplayGeneration()));
        metadata.put(
                "replay.previous_error_class", String.valueOf(replay.candidate().errorClass()));
        if (old.getOrigin() != null) {
            metadata.put("replay.previous_origin", old.getOrigin());
        }
        if (old.getDeadline() != null) {
            metadata.put("replay.original_deadline", old.getDeadline().toString());
        }
        return Job.newBuilder(old)
                .setHop(0)
                .setAttempts(replay.candidate().attempts())
                .setChain(replay.chain())
                .setReplayGeneration(replay.newGeneration())
                .setOrigin(origin)
                .setDeadline(null)
                .setMetadata(metadata)
                .build();
    }
}
