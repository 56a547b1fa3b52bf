package dev.relay.replay;

import dev.relay.schemas.Target;
import java.util.List;

/** What a run replays and what it skips, decided before anything is written. */
public record Plan(List<Replay> replays, List<Skip> skips) {

    /** One job to republish: the candidate, the generation it gets, and the chain it runs through. */
    public record Replay(Candidate candidate, int newGeneration, List<Target> chain) {}

    /** One job not republished, and why. */
    public record Skip(Candidate candidate, Reason reason, String detail) {}

    public enum Reason {
        /** The latest result for the job id is SUCCEEDED. */
        SUCCEEDED,
        /** relay.jobs (or relay.results) already holds a later generation: this failure was replayed before. */
        ALREADY_REPLAYED,
        /** The selection holds a later generation of the same job; only the latest is replayed. */
        SUPERSEDED,
        /** Found only as a FAILED result, and its job is no longer on relay.jobs (retention): nothing to replay. */
        JOB_NOT_FOUND
    }
}
