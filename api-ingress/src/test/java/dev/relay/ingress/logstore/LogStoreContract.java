package dev.relay.ingress.logstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Message;
import dev.relay.testkit.logstore.SyntheticLog;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The projection without a broker: order independence, filters, offsets. {@link LogStoreTest} runs it on SQLite,
 * {@link PostgresLogStoreIT} on a real PostgreSQL server.
 */
abstract class LogStoreContract {

    /** A fresh, empty store; {@code name} tells two stores of one test apart. */
    abstract LogDatabase open(String name) throws Exception;

    static final long START = 1_790_000_000_000L;
    private final ObjectMapper json = new ObjectMapper();

    static void load(LogWriter w, SyntheticLog.Records r, boolean shuffled, long seed) throws Exception {
        List<Object> all = new ArrayList<>();
        all.addAll(r.jobs());
        all.addAll(r.attempts());
        all.addAll(r.results());
        all.addAll(r.failed());
        if (shuffled) {
            Collections.shuffle(all, new Random(seed));
        }
        for (int i = 0; i < all.size(); i += 1000) {
            LogBatch b = new LogBatch();
            for (Object o : all.subList(i, Math.min(all.size(), i + 1000))) {
                switch (o) {
                    case Job j -> b.job(j);
                    case AttemptRecord a -> b.attempt(a);
                    case JobResult res -> b.result(res);
                    case FailedJob f -> b.failed(f);
                    default -> throw new IllegalStateException();
                }
            }
            b.offset("t", 0, i);
            w.apply(b);
        }
    }

    @Test
    void shouldEqualTheLiveStoreWhenRebuiltInAnotherOrder() throws Exception {
        SyntheticLog.Records r = SyntheticLog.generate(3000, START, 1);
        try (LogDatabase live = open("live");
                LogDatabase rebuilt = open("rebuilt")) {
            load(new LogWriter(live, true), r, false, 0);
            load(new LogWriter(rebuilt, true), r, true, 42);
            LogQueries a = new LogQueries(live, json);
            LogQueries b = new LogQueries(rebuilt, json);
            for (String table : List.of("jobs", "attempts")) {
                assertThat(b.dump(table)).as(table).isEqualTo(a.dump(table));
            }
            assertThat(a.counts().get("jobs")).isEqualTo(3000);
            assertThat(a.counts().get("attempts")).isEqualTo(r.attempts().size());
            // the full-text index too: every seventh prompt says "about kafka"
            for (String words : List.of("kafka", "weather", "question about")) {
                assertThat(b.count(search(words))).as(words).isEqualTo(a.count(search(words)));
            }
            assertThat(a.count(search("kafka"))).isEqualTo(429);
            assertThat(a.count(search("weather"))).isEqualTo(3000 - 429);
        }
    }

    @Test
    void shouldSearchTheNewestPromptAndForgetPrunedOnes() throws Exception {
        SyntheticLog.Records r = SyntheticLog.generate(100, START, 5);
        try (LogDatabase db = open("s")) {
            LogWriter w = new LogWriter(db, true);
            load(w, r, true, 3);
            LogQueries q = new LogQueries(db, json);
            assertThat(q.count(search("weather"))).isEqualTo(100 - 15);
            // job-3 is replayed with another prompt: its new words are found, its old ones no longer
            Job replayed = Job.newBuilder(r.jobs().get(3))
                    .setReplayGeneration(1)
                    .setRequest(ChatRequest.newBuilder(r.jobs().get(3).getRequest())
                            .setMessages(List.of(Message.newBuilder()
                                    .setRole("user")
                                    .setContent(List.of(ContentPart.newBuilder()
                                            .setType("text")
                                            .setText("a replayed question about zebras")
                                            .build()))
                                    .build()))
                            .build())
                    .build();
            w.apply(new LogBatch().job(replayed));
            assertThat(q.jobs(search("zebras")))
                    .singleElement()
                    .satisfies(j -> assertThat(j.get("job_id").asText()).isEqualTo("job-3"));
            assertThat(q.count(search("weather"))).isEqualTo(100 - 15 - 1);
            // the jobs topic's retention passed for the first 50 jobs: their prompts leave the index with them
            w.prune(null, START + 50 * 10L, null);
            long left = java.util.stream.IntStream.range(50, 100)
                    .filter(i -> i % 7 != 0)
                    .count();
            assertThat(q.count(search("weather"))).isEqualTo(left);
            assertThat(q.count(search("zebras"))).isZero();
        }
    }

    private static JobQuery search(String words) {
        return new JobQuery(null, null, null, null, null, null, null, null, null, null, words, null, 50);
    }

    @Test
    void shouldAnswerFilteredPagesNewestFirst() throws Exception {
        SyntheticLog.Records r = SyntheticLog.generate(20_000, START, 2);
        try (LogDatabase db = open("f")) {
            load(new LogWriter(db, true), r, false, 0);
            LogQueries q = new LogQueries(db, json);
            JsonNode page = q.jobs(new JobQuery(
                    null, "anthropic", null, "TIMEOUT", null, null, null, null, null, null, null, null, 50));
            assertThat(page).hasSize(50);
            long previous = Long.MAX_VALUE;
            for (JsonNode j : page) {
                assertThat(j.get("provider").asText()).isEqualTo("anthropic");
                assertThat(j.get("submitted_at").asLong()).isLessThan(previous);
                previous = j.get("submitted_at").asLong();
                JsonNode full = q.job(j.get("job_id").asText()).orElseThrow();
                assertThat(full.get("attempts").findValuesAsText("outcome")).contains("TIMEOUT");
            }
            assertThat(q.count(JobQuery.newest(1).withStatus("FAILED")))
                    .isEqualTo(r.results().stream()
                            .filter(x -> x.getStatus().name().equals("FAILED"))
                            .count());
            JsonNode fell = q.jobs(new JobQuery(
                    "SUCCEEDED", null, null, null, 2, null, null, null, "tenant-3", "team=t1", "kafka", null, 20));
            assertThat(fell).isNotEmpty();
            for (JsonNode j : fell) {
                assertThat(j.get("fallback_index").asInt()).isEqualTo(2);
                assertThat(j.get("tenant").asText()).isEqualTo("tenant-3");
                assertThat(j.get("prompt").asText()).contains("kafka");
                assertThat(q.job(j.get("job_id").asText())
                                .orElseThrow()
                                .get("metadata")
                                .get("team")
                                .asText())
                        .isEqualTo("t1");
            }
            JsonNode older = q.jobs(new JobQuery(
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    page.get(49).get("submitted_at").asLong(),
                    10));
            assertThat(older.get(0).get("submitted_at").asLong())
                    .isLessThan(page.get(49).get("submitted_at").asLong());
        }
    }

    @Test
    void shouldShowTheAttemptTimelineInOrder() throws Exception {
        SyntheticLog.Records r = SyntheticLog.generate(100, START, 3);
        try (LogDatabase db = open("t")) {
            load(new LogWriter(db, true), r, true, 7);
            LogQueries q = new LogQueries(db, json);
            JsonNode fellBack = q.jobs(
                            new JobQuery("SUCCEEDED", null, null, null, 2, null, null, null, null, null, null, null, 1))
                    .get(0);
            JsonNode job = q.job(fellBack.get("job_id").asText()).orElseThrow();
            List<Integer> hops = new ArrayList<>();
            job.get("attempts").forEach(a -> hops.add(a.get("hop").asInt()));
            assertThat(hops).startsWith(0, 1, 2).isSorted();
            JsonNode last = job.get("attempts").get(hops.size() - 1);
            assertThat(last.get("outcome").asText()).isEqualTo("SUCCESS");
            assertThat(last.get("decision").asText()).isEqualTo("RETURNED");
            assertThat(job.get("attempts").get(0).get("key_name").asText()).endsWith("-key-1");
        }
    }

    @Test
    void shouldResumeFromTheStoredOffsets() throws Exception {
        try (LogDatabase db = open("o")) {
            LogWriter w = new LogWriter(db, true);
            w.apply(new LogBatch().offset("relay.jobs", 0, 10).offset("relay.jobs", 1, 5));
            w.apply(new LogBatch().offset("relay.jobs", 0, 12));
            assertThat(w.offsets().get("relay.jobs")).containsEntry(0, 12L).containsEntry(1, 5L);
        }
    }
}
