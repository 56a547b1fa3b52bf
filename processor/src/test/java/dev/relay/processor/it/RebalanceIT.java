package dev.relay.processor.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.processor.RelayProcessor;
import dev.relay.processor.topology.FallbackTopology;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A second processor instance joins while the first has calls in flight; tasks move, every job ends once. */
@Tag("it")
@Timeout(120)
class RebalanceIT {

    private static final Logger log = LoggerFactory.getLogger(RebalanceIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final int JOBS = 600;

    @TempDir
    Path dir;

    @Test
    void shouldGiveEveryJobExactlyOneResultWhenSecondInstanceJoins() throws Exception {
        Topics topics = STACK.freshTopics();
        RelaySerdes serdes = RelayIt.serdes(STACK.registryUrl());
        String appId = RelayIt.appId();
        try (FakeProvider slow = FakeProvider.start().reply(Reply.ok().after(Duration.ofSeconds(2)))) {
            String providers = """
                    "slow": {"type": "openai", "keys": [{"name": "k1", "value": "sk-one"}],
                             "network_config": {"base_url": "%s", "default_request_timeout_in_seconds": 8}}
                    """.formatted(slow.baseUrl());
            var configA = RelayIt.config(RelayIt.configJson(
                    STACK.bootstrapServers(), STACK.registryUrl(), topics, appId, dir.resolve("a"), providers, ""));
            var configB = RelayIt.config(RelayIt.configJson(
                    STACK.bootstrapServers(), STACK.registryUrl(), topics, appId, dir.resolve("b"), providers, ""));
            try (RelayProcessor a = RelayProcessor.start(configA)) {
                assertThat(a.awaitRunning(Duration.ofSeconds(60))).isTrue();
                List<Job> jobs = IntStream.range(0, JOBS)
                        .mapToObj(i -> RelayIt.job("rebalance-" + i, List.of("slow/gpt-s")))
                        .toList();
                RelayIt.produce(STACK.bootstrapServers(), serdes, topics, jobs);
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (a.inFlight("slow") < 200 && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                int inFlightAtJoin = a.inFlight("slow");
                assertThat(inFlightAtJoin).isGreaterThanOrEqualTo(200);
                try (RelayProcessor b = RelayProcessor.start(configB)) {
                    List<JobResult> results =
                            RelayIt.results(STACK.bootstrapServers(), serdes, topics, JOBS, Duration.ofSeconds(60));
                    Map<String, Long> perJob =
                            results.stream().collect(Collectors.groupingBy(JobResult::getJobId, Collectors.counting()));
                    log.info(
                            "rebalance: {} in flight when B joined; {} results for {} jobs; {} provider"
                                    + " calls; B state {}",
                            inFlightAtJoin,
                            results.size(),
                            perJob.size(),
                            slow.requests().size(),
                            b.state());
                    assertThat(perJob).hasSize(JOBS);
                    assertThat(perJob.values()).allMatch(n -> n == 1);
                    // the in-flight changelog is created with short segments, so compaction keeps restores short
                    try (Admin admin = Admin.create(Map.<String, Object>of(
                            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers()))) {
                        ConfigResource changelog = new ConfigResource(
                                ConfigResource.Type.TOPIC, appId + "-" + FallbackTopology.storeName(0) + "-changelog");
                        Config c = admin.describeConfigs(List.of(changelog))
                                .all()
                                .get()
                                .get(changelog);
                        FallbackTopology.INFLIGHT_CHANGELOG.forEach((name, value) ->
                                assertThat(c.get(name).value()).as(name).isEqualTo(value));
                        assertThat(c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                                .isEqualTo("compact");
                    }
                }
            }
        }
    }
}
