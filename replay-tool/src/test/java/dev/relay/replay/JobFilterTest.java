package dev.relay.replay;

import static dev.relay.replay.TestRecords.chain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobFilterTest {

    private static final Instant T = Instant.parse("2026-11-24T20:00:00Z");

    private static Candidate failed(String id, OutcomeClass cls, String tenant, String batch, String... targets) {
        var job = TestRecords.job(id, 0, tenant, batch, chain(targets), T);
        return Candidate.fromFailed(TestRecords.failed(job, cls, T), "relay.failed", 0, 1, T.toEpochMilli());
    }

    private static JobFilter filter(
            Set<String> ids,
            Set<OutcomeClass> classes,
            Set<String> providers,
            Set<String> models,
            Set<String> batches,
            Set<String> tenants) {
        return new JobFilter(ids, classes, providers, models, batches, tenants);
    }

    @Test
    void shouldMatchEverythingWhenEmpty() {
        assertThat(JobFilter.any().matches(failed("j1", OutcomeClass.AUTH, null, null, "openai/gpt-4o")))
                .isTrue();
        assertThat(JobFilter.any().isEmpty()).isTrue();
    }

    @Test
    void shouldMatchErrorClassOnTheFinalOutcome() {
        JobFilter f = filter(
                Set.of(),
                Set.of(OutcomeClass.TRANSIENT, OutcomeClass.RATE_LIMITED),
                Set.of(),
                Set.of(),
                Set.of(),
                Set.of());
        assertThat(f.matches(failed("j1", OutcomeClass.TRANSIENT, null, null, "openai/gpt-4o")))
                .isTrue();
        assertThat(f.matches(failed("j2", OutcomeClass.RATE_LIMITED, null, null, "openai/gpt-4o")))
                .isTrue();
        assertThat(f.matches(failed("j3", OutcomeClass.AUTH, null, null, "openai/gpt-4o")))
                .isFalse();
    }

    @Test
    void shouldMatchProviderAndModelAnywhereInTheChain() {
        Candidate c = failed("j1", OutcomeClass.TRANSIENT, null, null, "openai/gpt-4o", "anthropic/claude-haiku-4-5");
        assertThat(filter(Set.of(), Set.of(), Set.of("anthropic"), Set.of(), Set.of(), Set.of())
                        .matches(c))
                .isTrue();
        assertThat(filter(Set.of(), Set.of(), Set.of("gemini"), Set.of(), Set.of(), Set.of())
                        .matches(c))
                .isFalse();
        assertThat(filter(Set.of(), Set.of(), Set.of(), Set.of("gpt-4o"), Set.of(), Set.of())
                        .matches(c))
                .isTrue();
        assertThat(filter(Set.of(), Set.of(), Set.of(), Set.of("anthropic/claude-haiku-4-5"), Set.of(), Set.of())
                        .matches(c))
                .isTrue();
        assertThat(filter(Set.of(), Set.of(), Set.of(), Set.of("openai/claude-haiku-4-5"), Set.of(), Set.of())
                        .matches(c))
                .isFalse();
    }

    @Test
    void shouldRequireEveryGivenOption() {
        JobFilter f = filter(
                Set.of("j1", "j2"),
                Set.of(OutcomeClass.TRANSIENT),
                Set.of("openai"),
                Set.of(),
                Set.of("b1"),
                Set.of("acme"));
        assertThat(f.matches(failed("j1", OutcomeClass.TRANSIENT, "acme", "b1", "openai/gpt-4o")))
                .isTrue();
        assertThat(f.matches(failed("j3", OutcomeClass.TRANSIENT, "acme", "b1", "openai/gpt-4o")))
                .isFalse();
        assertThat(f.matches(failed("j1", OutcomeClass.TRANSIENT, "other", "b1", "openai/gpt-4o")))
                .isFalse();
        assertThat(f.matches(failed("j1", OutcomeClass.TRANSIENT, "acme", null, "openai/gpt-4o")))
                .isFalse();
        assertThat(f.matches(failed("j2", OutcomeClass.TRANSIENT, null, "b1", "openai/gpt-4o")))
                .isFalse();
        assertThat(f.keyMayMatch("j2")).isTrue();
        assertThat(f.keyMayMatch("j9")).isFalse();
    }

    @Test
    void shouldFilterFailedResultsByTheirPrimary() {
        var job = TestRecords.job("r1", 0, "acme", null, chain("gemini/gemini-2.5-flash"), T);
        Candidate c = Candidate.fromResult(
                TestRecords.result(job, JobStatus.FAILED, OutcomeClass.QUOTA, T),
                "relay.results",
                0,
                3,
                T.toEpochMilli());
        assertThat(c.job()).isNull();
        assertThat(filter(Set.of(), Set.of(OutcomeClass.QUOTA), Set.of("gemini"), Set.of(), Set.of(), Set.of("acme"))
                        .matches(c))
                .isTrue();
    }

    @Test
    void shouldKeepTheWindowHalfOpen() {
        Instant since = T;
        Instant until = T.plusSeconds(60);
        assertThat(Selection.inWindow(T.toEpochMilli(), since, until)).isTrue();
        assertThat(Selection.inWindow(T.toEpochMilli() - 1, since, until)).isFalse();
        assertThat(Selection.inWindow(until.toEpochMilli(), since, until)).isFalse();
        assertThat(Selection.inWindow(0, null, null)).isTrue();
    }
}
