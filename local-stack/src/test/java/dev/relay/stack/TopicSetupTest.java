package dev.relay.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.Topics;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicSetupTest {

    private final Topics topics = Topics.defaults();

    @Test
    void shouldCompactResultsAndWebhooksByJobId() {
        for (String name : new String[] {topics.results(), topics.webhooks(), topics.files(), topics.batches()}) {
            Map<String, String> c = TopicSetup.configFor(topics, name, (short) 1);
            assertThat(c)
                    .containsEntry("cleanup.policy", "compact")
                    .containsEntry("min.compaction.lag.ms", "3600000")
                    .doesNotContainKey("retention.ms");
        }
    }

    @Test
    void shouldKeepTheAuditTrailThirtyDaysAndFailedRecordsNinety() {
        assertThat(TopicSetup.configFor(topics, topics.attempts(), (short) 1))
                .containsEntry("cleanup.policy", "delete")
                .containsEntry("retention.ms", "2592000000");
        assertThat(TopicSetup.configFor(topics, topics.failed(), (short) 1))
                .containsEntry("retention.ms", "7776000000");
        assertThat(TopicSetup.configFor(topics, topics.deadletter(), (short) 1))
                .containsEntry("retention.ms", "7776000000");
    }

    @Test
    void shouldKeepHopTopicsSevenDays() {
        for (String hop : topics.hopTopics()) {
            assertThat(TopicSetup.configFor(topics, hop, (short) 1))
                    .containsEntry("cleanup.policy", "delete")
                    .containsEntry("retention.ms", "604800000");
        }
    }

    @Test
    void shouldRequireTwoInSyncReplicasOnlyWhenThereAreThreeCopies() {
        assertThat(TopicSetup.configFor(topics, topics.jobs(), (short) 1)).doesNotContainKey("min.insync.replicas");
        assertThat(TopicSetup.configFor(topics, topics.jobs(), (short) 3)).containsEntry("min.insync.replicas", "2");
    }
}
