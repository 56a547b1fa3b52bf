package dev.relay.ingress.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.RelayConfig;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ChatRequestCodec;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A stand-in for RelayProcessor (engineer "topology") until it lands on main: on the real broker, it reads jobs, calls
 * each target's real local HTTP provider (WireMock, OpenAI format) in chain order, and writes one AttemptRecord per
 * try and one JobResult, as the processor does. The first 2xx wins; if all fail the primary's error is returned.
 */
final class FakeProcessor implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final RelaySerdes serdes;
    private final Topics topics;
    private final RelayConfig config;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final Thread thread;
    private volatile boolean running = true;

    FakeProcessor(RelayConfig config, Topics topics) {
        String bootstrap = config.kafka().bootstrapServers();
        this.consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "group.id",
                topics.prefix() + "fake-processor", "auto.offset.reset", "earliest", "enable.auto.commit", "true"),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all", "linger.ms", 0),
                new StringSerializer(), new ByteArraySerializer());
        this.serdes = RelaySerdes.create(SchemaRegistryClient.create(config.kafka().schemaRegistryUrl()));
        this.topics = topics;
        this.config = config;
        consumer.subscribe(List.of(topics.jobs()));
        this.thread = Thread.ofPlatform().name("fake-processor").daemon().start(this::run);
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    Job job = serdes.job().deserialize(r.topic(), r.value());
                    Thread.ofVirtual().start(() -> process(job));
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void process(Job job) {
        long start = System.currentTimeMillis();
        List<AttemptSummary> attempts = new ArrayList<>();
        ErrorInfo primaryError = null;
        for (int hop = 0; hop < job.getChain().size(); hop++) {
            Target t = job.getChain().get(hop);
            Instant at = Instant.now();
            int status;
            String body;
            try {
                URI base = config.provider(t.getProvider()).orElseThrow().network().baseUrl().orElseThrow();
                HttpResponse<String> resp = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                ChatRequestCodec.toOpenAi(job.getRequest(), t.getModel()).toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                status = resp.statusCode();
                body = resp.body();
            } catch (Exception e) {
                status = 599;
                body = "{}";
            }
            boolean ok = status / 100 == 2;
            boolean last = hop == job.getChain().size() - 1;
            OutcomeClass outcome = ok ? OutcomeClass.SUCCESS : status == 429 ? OutcomeClass.RATE_LIMITED : OutcomeClass.TRANSIENT;
            Decision decision = ok ? Decision.RETURNED : last ? Decision.GIVE_UP : Decision.NEXT_HOP;
            JsonNode err = parse(body).path("error");
            AttemptSummary a = AttemptSummary.newBuilder().setHop(hop).setAttempt(1).setProvider(t.getProvider())
                    .setModel(t.getModel()).setOutcome(outcome).setHttpStatus(status).setStartedAt(at)
                    .setLatencyMs(System.currentTimeMillis() - at.toEpochMilli()).setDecision(decision)
                    .setErrorType(ok ? null : err.path("type").asText(null))
                    .setErrorMessage(ok ? null : err.path("message").asText("HTTP " + status))
                    .setReplayGeneration(job.getReplayGeneration()).build();
            attempts.add(a);
            send(topics.attempts(), job.getJobId(), serdes.attempt().serialize(topics.attempts(), AttemptRecord.newBuilder()
                    .setJobId(job.getJobId()).setHop(hop).setAttempt(1).setProvider(t.getProvider()).setModel(t.getModel())
                    .setStartedAt(at).setEndedAt(Instant.now()).setLatencyMs(a.getLatencyMs()).setOutcome(outcome)
                    .setHttpStatus(status).setDecision(decision).setReplayGeneration(job.getReplayGeneration()).build()));
            if (hop == 0 && !ok) {
                primaryError = ErrorInfo.newBuilder().setHttpStatus(status).setType(err.path("type").asText("api_error"))
                        .setCode(err.path("code").asText(null)).setMessage(err.path("message").asText("HTTP " + status))
                        .setOutcome(outcome).build();
            }
            if (ok || last) {
                JobResult.Builder result = JobResult.newBuilder().setJobId(job.getJobId())
                        .setStatus(ok ? JobStatus.SUCCEEDED : JobStatus.FAILED)
                        .setResponseJson(ok ? body : null).setError(ok ? null : primaryError)
                        .setProvider(ok ? t.getProvider() : job.getChain().get(0).getProvider())
                        .setModel(ok ? t.getModel() : job.getChain().get(0).getModel()).setHop(ok ? hop : 0)
                        .setSubmittedAt(job.getSubmittedAt()).setCompletedAt(Instant.now())
                        .setTotalLatencyMs(System.currentTimeMillis() - start).setAttemptCount(attempts.size())
                        .setAttempts(attempts).setReplayGeneration(job.getReplayGeneration()).setTenant(job.getTenant())
                        .setBatchId(job.getBatchId()).setCustomId(job.getCustomId()).setCallbackUrl(job.getCallbackUrl())
                        .setMetadata(job.getMetadata());
                send(topics.results(), job.getJobId(), serdes.result().serialize(topics.results(), result.build()));
                return;
            }
        }
    }

    private void send(String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value));
    }

    private JsonNode parse(String body) {
        try {
            return json.readTree(body == null || body.isEmpty() ? "{}" : body);
        } catch (Exception e) {
            return json.createObjectNode();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
