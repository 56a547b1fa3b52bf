package dev.relay.ingress.kafka;

import dev.relay.schemas.Job;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.AvroSerde;
import dev.relay.telemetry.Telemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes jobs with an idempotent, acks=all producer, key = job id. linger.ms 0: the sync path waits on this send.
 * The value is serialized here (not by a producer serializer) so a registry failure surfaces before anything is sent.
 */
public final class KafkaJobPublisher implements JobPublisher {

    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<Job> serde;
    private final String topic;
    private final Duration sendTimeout;

    public KafkaJobPublisher(
            Map<String, Object> clientProps, AvroSerde<Job> serde, Topics topics, Duration sendTimeout) {
        Map<String, Object> p = new java.util.HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(sendTimeout.toMillis(), 30_000));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, sendTimeout.toMillis());
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "relay-ingress-jobs");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.serde = serde;
        this.topic = topics.jobs();
        this.sendTimeout = sendTimeout;
    }

    @Override
    public void publish(List<Job> jobs) {
        List<byte[]> values = new ArrayList<>(jobs.size());
        try {
            for (Job job : jobs) {
                values.add(serde.serialize(topic, job));
            }
        } catch (RuntimeException e) {
            throw new PublishException("the job could not be encoded (schema registry): " + e.getMessage(), e);
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>(jobs.size());
        for (int i = 0; i < jobs.size(); i++) {
            // the current trace context (the job's span, when tracing is on) goes with the record: W3C traceparent
            sends.add(producer.send(new ProducerRecord<>(
                    topic, null, jobs.get(i).getJobId(), values.get(i), Telemetry.currentHeaders())));
        }
        long deadline = System.nanoTime() + sendTimeout.toNanos();
        try {
            for (Future<RecordMetadata> f : sends) {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while publishing", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new PublishException("the broker did not acknowledge the job: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
