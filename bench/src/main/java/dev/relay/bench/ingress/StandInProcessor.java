package dev.relay.bench.ingress;

import dev.relay.config.RelayConfig;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Decision;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Used only when {@code dev.relay.processor.RelayProcessor} is not on the classpath yet: a one-hop Kafka Streams app
 * with the same delivery settings ({@code processing_guarantee}, {@code commit_interval}, {@code poll_interval}) that
 * calls the primary on the stream thread. For a 0 ms provider this adds the same Kafka-side latency (transaction
 * commit, read_committed visibility) the real processor pays; it does not model the async dispatch.
 */
final class StandInProcessor implements AutoCloseable {

    private final KafkaStreams streams;

    StandInProcessor(RelayConfig config, Topics topics) {
        var k = config.kafka();
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(k.schemaRegistryUrl()));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        StreamsBuilder b = new StreamsBuilder();
        b.stream(topics.jobs(), Consumed.with(Serdes.String(), serdes.job()))
                .mapValues(job -> call(config, http, job))
                .to(topics.results(), Produced.with(Serdes.String(), serdes.result()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, k.applicationId() + "-standin");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, k.processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int) k.commitInterval().toMillis());
        p.put(StreamsConfig.POLL_MS_CONFIG, k.pollInterval().toMillis());
        p.put(StreamsConfig.STATE_DIR_CONFIG, k.stateDir().resolve("standin").toString());
        p.put(StreamsConfig.producerPrefix("linger.ms"), 0);
        // CONCURRENT_TRANSACTIONS answers are retried after retry.backoff.ms (100 ms by default): keep it short.
        p.put(StreamsConfig.producerPrefix("retry.backoff.ms"), 5);
        p.put(StreamsConfig.consumerPrefix("fetch.max.wait.ms"), 5);
        this.streams = new KafkaStreams(b.build(), p);
        streams.start();
    }

    private static JobResult call(RelayConfig config, HttpClient http, Job job) {
        Target t = job.getChain().get(0);
        Instant start = Instant.now();
        String body;
        int status;
        try {
            URI base = config.provider(t.getProvider()).orElseThrow().network().baseUrl().orElseThrow();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(ChatRequestCodec.toOpenAi(job.getRequest(), t.getModel())
                            .toString())).build(), HttpResponse.BodyHandlers.ofString());
            body = r.body();
            status = r.statusCode();
        } catch (Exception e) {
            body = null;
            status = 599;
        }
        long latency = System.currentTimeMillis() - start.toEpochMilli();
        AttemptSummary a = AttemptSummary.newBuilder().setHop(0).setAttempt(1).setProvider(t.getProvider())
                .setModel(t.getModel()).setOutcome(status == 200 ? OutcomeClass.SUCCESS : OutcomeClass.TRANSIENT)
                .setHttpStatus(status).setStartedAt(start).setLatencyMs(latency).setDecision(Decision.RETURNED).build();
        return JobResult.newBuilder().setJobId(job.getJobId()).setStatus(JobStatus.SUCCEEDED).setResponseJson(body)
                .setProvider(t.getProvider()).setModel(t.getModel()).setHop(0).setSubmittedAt(job.getSubmittedAt())
                .setCompletedAt(Instant.now()).setTotalLatencyMs(latency).setAttemptCount(1).setAttempts(List.of(a))
                .build();
    }

    @Override
    public void close() {
        streams.close();
    }
}
