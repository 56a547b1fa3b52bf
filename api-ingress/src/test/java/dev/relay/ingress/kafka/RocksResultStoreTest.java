package dev.relay.ingress.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.ingress.TestResults;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Message;
import dev.relay.schemas.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksResultStoreTest {

    @TempDir
    Path parent;

    private static Job job(String id, int generation, String batch) {
        ChatRequest req = ChatRequest.newBuilder()
                .setMessages(List.of(Message.newBuilder()
                        .setRole("user")
                        .setContent(List.of(ContentPart.newBuilder()
                                .setType("text")
                                .setText("hi")
                                .build()))
                        .build()))
                .build();
        return Job.newBuilder()
                .setJobId(id)
                .setSubmittedAt(Instant.now())
                .setRequest(req)
                .setBatchId(batch)
                .setChain(List.of(
                        Target.newBuilder().setProvider("openai").setModel("m").build()))
                .setReplayGeneration(generation)
                .build();
    }

    @Test
    void shouldKeepTheLatestGenerationOfEachResultAndListBatchMembers() {
        try (RocksResultStore store = RocksResultStore.openFresh(parent)) {
            JobResult replayed = TestResults.succeededAt(job("j1", 1, "batch_a"), 0, 429);
            store.merge(replayed);
            store.merge(TestResults.failedAll(job("j1", 0, "batch_a"), 429)); // older generation, read later
            store.merge(TestResults.succeededAt(job("j2", 0, "batch_a"), 0, 429));
            store.merge(TestResults.succeededAt(job("j3", 0, "batch_ab"), 0, 429)); // a batch id with batch_a's prefix
            store.merge(TestResults.succeededAt(job("j4", 0, null), 0, 429));

            JobResult j1 = store.get("j1").orElseThrow();
            assertThat(j1.getReplayGeneration()).isEqualTo(1);
            assertThat(j1.getStatus()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(j1).isEqualTo(replayed);
            assertThat(store.get("nope")).isEmpty();
            assertThat(store.batchMembers("batch_a")).containsExactlyInAnyOrder("j1", "j2");
            assertThat(store.batchMembers("batch_ab")).containsExactly("j3");
            assertThat(store.batchMembers("batch_")).isEmpty();
            assertThat(store.size()).isPositive();
        }
    }

    @Test
    void shouldDeleteItsDirectoryOnCloseAndRefuseCallsAfterIt() {
        RocksResultStore store = RocksResultStore.openFresh(parent);
        Path dir = store.directory();
        assertThat(dir).exists();
        store.close();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(() -> store.get("j1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        store.close(); // twice is fine
    }

    @Test
    void shouldDeleteDirectoriesACrashedInstanceLeftButNotOnesInUse() throws Exception {
        Path orphan = Files.createDirectories(parent.resolve(RocksResultStore.DIR_PREFIX + "deadbeef"));
        Files.writeString(orphan.resolve("owner.lock"), "");
        Files.writeString(orphan.resolve("000001.sst"), "left behind");
        try (RocksResultStore running = RocksResultStore.openFresh(parent)) {
            assertThat(orphan).doesNotExist();
            // a second instance in the same JVM (tests run several) leaves the first one's directory alone
            try (RocksResultStore second = RocksResultStore.openFresh(parent)) {
                assertThat(running.directory()).exists();
                assertThat(second.directory()).isNotEqualTo(running.directory());
            }
        }
    }

    @Test
    void shouldServeTheJobViewFromDisk() {
        try (RocksResultStore store = RocksResultStore.openFresh(parent)) {
            JobView view = new JobView(Clock.systemUTC(), Duration.ofHours(24), store);
            Job j = job("v1", 0, "batch_v");
            view.onJob(j);
            var waiter = view.awaitResult("v1");
            view.onResult(TestResults.succeededAt(j, 0, 429));
            assertThat(waiter).isCompleted();
            assertThat(view.state("v1").orElseThrow().status()).isEqualTo("succeeded");
            assertThat(view.result("v1")).isPresent();
            assertThat(view.batch("batch_v")).containsExactly("v1");
        }
    }

    @Test
    void shouldKeepResultsAndPositionsAcrossRestartsOfTheSameIdentity() {
        TopicPartition p0 = new TopicPartition("relay.results", 0);
        TopicPartition p1 = new TopicPartition("relay.results", 1);
        try (RocksResultStore store = RocksResultStore.open(parent, "cluster-a/relay.results")) {
            assertThat(store.positions("relay.results")).isEmpty();
            store.merge(TestResults.succeededAt(job("k1", 0, "batch_k"), 0, 429));
            store.checkpoint(Map.of(p0, 41L, p1, 7L));
            store.checkpoint(Map.of(p0, 42L));
        }
        try (RocksResultStore again = RocksResultStore.open(parent, "cluster-a/relay.results")) {
            assertThat(again.get("k1")).isPresent();
            assertThat(again.batchMembers("batch_k")).containsExactly("k1");
            assertThat(again.positions("relay.results")).containsExactlyInAnyOrderEntriesOf(Map.of(p0, 42L, p1, 7L));
            assertThat(again.positions("other.results")).isEmpty();
            // a second ingress on the same state dir gets a store of its own, filled from the topic
            try (RocksResultStore second = RocksResultStore.open(parent, "cluster-a/relay.results")) {
                assertThat(second.directory()).isNotEqualTo(again.directory());
                assertThat(second.get("k1")).isEmpty();
                assertThat(second.positions("relay.results")).isEmpty();
            }
        }
        try (RocksResultStore other = RocksResultStore.open(parent, "cluster-b/relay.results")) {
            assertThat(other.get("k1"))
                    .as("another cluster's results are not served")
                    .isEmpty();
            assertThat(other.positions("relay.results")).isEmpty();
        }
    }

    @Test
    void shouldForgetEverythingOnClear() {
        try (RocksResultStore store = RocksResultStore.open(parent, "c/t")) {
            store.merge(TestResults.succeededAt(job("c1", 0, "batch_c"), 0, 429));
            store.checkpoint(Map.of(new TopicPartition("t", 0), 5L));
            store.clear();
            assertThat(store.get("c1")).isEmpty();
            assertThat(store.batchMembers("batch_c")).isEmpty();
            assertThat(store.positions("t")).isEmpty();
        }
    }
}
