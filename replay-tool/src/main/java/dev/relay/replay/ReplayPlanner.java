package dev.relay.replay;

import dev.relay.schemas.Job;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides, per candidate, replay or skip. The rules (docs/replay.md, "Idempotency"):
 * <ul>
 *   <li>latest result SUCCEEDED: skip (SUCCEEDED);</li>
 *   <li>a later generation already on relay.jobs or relay.results: skip (ALREADY_REPLAYED);</li>
 *   <li>otherwise replay as generation {@code max(seen) + 1}.</li>
 * </ul>
 * {@code force} replays in every case where a job exists, still with a fresh generation, so generations stay unique.
 */
public final class ReplayPlanner {

    private final boolean force;
    private final List<Target> chainOverride;

    public ReplayPlanner(boolean force, List<Target> chainOverride) {
        this.force = force;
        this.chainOverride = chainOverride == null ? List.of() : List.copyOf(chainOverride);
    }

    public Plan plan(Selection.Result selection, LogHistory.Facts facts) {
        List<Plan.Replay> replays = new ArrayList<>();
        List<Plan.Skip> skips = new ArrayList<>();
        for (Candidate superseded : selection.superseded()) {
            skips.add(new Plan.Skip(superseded, Plan.Reason.SUPERSEDED, "a later generation of this job was selected"));
        }
        for (Candidate c : selection.candidates()) {
            Candidate candidate = c.hasJob() ? c : withJobFromLog(c, facts);
            if (!candidate.hasJob()) {
                skips.add(new Plan.Skip(
                        c,
                        Plan.Reason.JOB_NOT_FOUND,
                        "generation " + c.generation() + " is not on the jobs topic any more"));
                continue;
            }
            LogHistory.LatestResult latest = facts.latestResult().get(c.jobId());
            int seen = Math.max(facts.maxGenerationSeen(c.jobId()), c.generation());
            if (!force && latest != null && latest.status() == JobStatus.SUCCEEDED) {
                skips.add(new Plan.Skip(
                        candidate, Plan.Reason.SUCCEEDED, "generation " + latest.generation() + " succeeded"));
            } else if (!force && seen > c.generation()) {
                skips.add(new Plan.Skip(
                        candidate, Plan.Reason.ALREADY_REPLAYED, "generation " + seen + " is already in the log"));
            } else {
                List<Target> chain = chainOverride.isEmpty() ? candidate.chain() : chainOverride;
                replays.add(new Plan.Replay(candidate, seen + 1, chain));
            }
        }
        return new Plan(List.copyOf(replays), List.copyOf(skips));
    }

    private static Candidate withJobFromLog(Candidate c, LogHistory.Facts facts) {
        Map<Integer, Job> byGeneration = facts.jobs().get(c.jobId());
        Job job = byGeneration == null ? null : byGeneration.get(c.generation());
        return job == null ? c : c.withJob(job);
    }
}
