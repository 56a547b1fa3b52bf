package dev.relay.replay;

import static dev.relay.replay.TestRecords.chain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.Job;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayPlannerTest {

    private static final Instant T = Instant.parse("2026-11-24T20:00:00Z");

    private static Candidate failed(String id, int generation) {
        Job job = TestRecords.job(id, generation, null, null, chain("openai/gpt-4o", "anthropic/claude-haiku-4-5"), T);
        return Candidate.fromFailed(
                TestRecords.failed(job, OutcomeClass.TRANSIENT, T), "relay.failed", 0, 1, T.toEpochMilli());
    }

    private static LogHistory.Facts facts(Map<String, Integer> maxJobGen, Map<String, LogHistory.LatestResult> latest) {
        return new LogHistory.Facts(maxJobGen, latest, Map.of(), List.of());
    }

    private static Selection.Result selection(Candidate... candidates) {
        return new Selection.Result(List.of(candidates), List.of(), List.of());
    }

    @Test
    void shouldReplayAFreshFailureAsTheNextGeneration() {
        Plan plan = new ReplayPlanner(false, List.of())
                .plan(
                        selection(failed("a", 0), failed("b", 2)),
                        facts(Map.of("a", 0, "b", 2), Map.of("a", new LogHistory.LatestResult(JobStatus.FAILED, 0))));
        assertThat(plan.skips()).isEmpty();
        assertThat(plan.replays())
                .extracting(r -> r.candidate().jobId() + ":" + r.newGeneration())
                .containsExactly("a:1", "b:3");
        assertThat(plan.replays().get(0).chain()).isEqualTo(failed("a", 0).chain());
    }

    @Test
    void shouldSkipWhatWasReplayedOrSucceededUnlessForced() {
        Selection.Result sel = selection(failed("replayed", 0), failed("ok", 0), failed("newer-result", 0));
        LogHistory.Facts facts = facts(
                Map.of("replayed", 1),
                Map.of(
                        "ok",
                        new LogHistory.LatestResult(JobStatus.SUCCEEDED, 0),
                        "newer-result",
                        new LogHistory.LatestResult(JobStatus.FAILED, 1)));
        Plan plan = new ReplayPlanner(false, List.of()).plan(sel, facts);
        assertThat(plan.replays()).isEmpty();
        assertThat(plan.skips())
                .extracting(s -> s.candidate().jobId() + ":" + s.reason())
                .containsExactlyInAnyOrder(
                        "replayed:ALREADY_REPLAYED", "ok:SUCCEEDED", "newer-result:ALREADY_REPLAYED");

        Plan forced = new ReplayPlanner(true, chain("gemini/gemini-2.5-flash")).plan(sel, facts);
        assertThat(forced.skips()).isEmpty();
        // a forced replay still gets a generation no one has used
        assertThat(forced.replays())
                .extracting(r -> r.candidate().jobId() + ":" + r.newGeneration())
                .containsExactlyInAnyOrder("replayed:2", "ok:1", "newer-result:2");
        assertThat(forced.replays()).allSatisfy(r -> assertThat(r.chain()).isEqualTo(chain("gemini/gemini-2.5-flash")));
    }

    @Test
    void shouldReportSupersededAndMissingJobs() {
        var job = TestRecords.job("r", 0, null, null, chain("openai/gpt-4o"), T);
        Candidate resultOnly = Candidate.fromResult(
                TestRecords.result(job, JobStatus.FAILED, OutcomeClass.TIMEOUT, T),
                "relay.results",
                0,
                1,
                T.toEpochMilli());
        Candidate found = Candidate.fromResult(
                TestRecords.result(
                        TestRecords.job("s", 0, null, null, chain("openai/gpt-4o"), T),
                        JobStatus.FAILED,
                        OutcomeClass.TIMEOUT,
                        T),
                "relay.results",
                0,
                2,
                T.toEpochMilli());
        Selection.Result sel = new Selection.Result(List.of(resultOnly, found), List.of(failed("x", 0)), List.of());
        LogHistory.Facts facts = new LogHistory.Facts(
                Map.of("s", 0),
                Map.of(),
                Map.of("s", Map.of(0, TestRecords.job("s", 0, null, null, chain("openai/gpt-4o"), T))),
                List.of());
        Plan plan = new ReplayPlanner(false, List.of()).plan(sel, facts);
        assertThat(plan.skips())
                .extracting(s -> s.candidate().jobId() + ":" + s.reason())
                .containsExactlyInAnyOrder("x:SUPERSEDED", "r:JOB_NOT_FOUND");
        assertThat(plan.replays()).singleElement().satisfies(r -> {
            assertThat(r.candidate().jobId()).isEqualTo("s");
            assertThat(r.candidate().job()).isNotNull();
        });
    }

    @Test
    void shouldKeepTheLatestGenerationWhenDeduplicating() {
        Candidate g0 = failed("a", 0);
        Candidate g1 = failed("a", 1);
        assertThat(g1.supersedes(g0)).isTrue();
        assertThat(g0.supersedes(g1)).isFalse();
    }

    @Test
    void shouldRewriteTheJobForReplay() {
        Candidate c = failed("a", 0);
        Plan.Replay replay = new Plan.Replay(c, 1, chain("gemini/gemini-2.5-flash"));
        ReplayOrigin origin = ReplayOrigin.of("run1", T, "alice@ops");
        Job job = origin.rewrite(replay);
        assertThat(job.getJobId()).isEqualTo("a");
        assertThat(job.getHop()).isZero();
        // earlier generations' attempts are carried, tagged, so the next JobResult lists both generations
        assertThat(job.getAttempts())
                .hasSize(2)
                .isEqualTo(c.attempts())
                .allSatisfy(a -> assertThat(a.getReplayGeneration()).isZero());
        assertThat(job.getReplayGeneration()).isEqualTo(1);
        assertThat(job.getOrigin()).isEqualTo("replay:2026-11-24T20:00:00Z by alice@ops run run1");
        assertThat(job.getChain()).isEqualTo(chain("gemini/gemini-2.5-flash"));
        assertThat(ReplayOrigin.of("run1", T, "alice@ops", "INC-7 openai outage")
                        .rewrite(replay)
                        .getOrigin())
                .isEqualTo("replay:2026-11-24T20:00:00Z by alice@ops run run1: INC-7 openai outage");
        assertThat(job.getRequest()).isEqualTo(c.job().getRequest());
        assertThat(job.getMetadata())
                .containsEntry("replay.previous_generation", "0")
                .containsEntry("replay.previous_origin", "http")
                .containsEntry("replay.run_id", "run1");
    }
}
