package dev.relay.bench.processor;

import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The design Relay avoids, for comparison: a Streams app that calls the provider inside {@code process()} (blocking
 * HTTP on the stream thread), with the same thread count and commit settings as Relay.
 */
final class SyncBaseline {

    private SyncBaseline() {}

    static KafkaStreams start(
            String bootstrap, RelaySerdes serdes, Topics topics, String providerUrl, int threads, Path stateDir) {
        HttpClient http = HttpClient.newHttpClient();
        Topology t = new Topology();
        t.addSource("jobs", new StringDeserializer(), serdes.job().deserializer(), topics.jobs());
        t.addProcessor(
                "call",
                () -> new Processor<String, Job, String, JobResult>() {
                    private ProcessorContext<String, JobResult> ctx;

                    @Override
                    public void init(ProcessorContext<String, JobResult> context) {
                        ctx = context;
                    }

                    @Override
                    public void process(Record<String, Job> r) {
                        long start = System.currentTimeMillis();
                        String body = ChatRequestCodec.toOpenAi(r.value().getRequest(), "m")
                                .toString();
                        String answer;
                        try {
                            answer = http.send(
                                            HttpRequest.newBuilder(URI.create(providerUrl + "/v1/chat/completions"))
                                                    .timeout(Duration.ofSeconds(8))
                                                    .header("Content-Type", "application/json")
                                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .body();
                        } catch (Exception e) {
                            answer = null;
                        }
                        long now = System.currentTimeMillis();
                        ctx.forward(r.withValue(JobResult.newBuilder()
                                .setJobId(r.key())
                                .setStatus(JobStatus.SUCCEEDED)
                                .setResponseJson(answer)
                                .setProvider("p")
                                .setModel("m")
                                .setHop(0)
                                .setSubmittedAt(r.value().getSubmittedAt())
                                .setCompletedAt(Instant.ofEpochMilli(now))
                                .setTotalLatencyMs(now - start)
                                .setAttemptCount(1)
                                .build()));
                    }
                },
                "jobs");
        t.addSink(
                "results",
                topics.results(),
                new StringSerializer(),
                serdes.result().serializer(),
                "call");
        Properties p = new Properties();
        p.put(
                StreamsConfig.APPLICATION_ID_CONFIG,
                "sync-baseline-" + topics.prefix().replace(".", ""));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "20");
        p.put(StreamsConfig.POLL_MS_CONFIG, "5");
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(threads));
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        KafkaStreams streams = new KafkaStreams(t, p);
        streams.start();
        return streams;
    }
}
