package dev.relay.replay;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka clients for the replay tool, every one bounded by {@code timeout} so the tool answers instead of hanging
 * when the broker is down: request, API and connection-setup timeouts on the consumer and admin, max.block on the
 * producer. {@code extra} comes from the config's {@code kafka.properties} (security settings and the like).
 */
public record KafkaClients(String bootstrapServers, String registryUrl, Duration timeout, Map<String, String> extra) {

    private Map<String, Object> common() {
        Map<String, Object> p = new HashMap<>(extra);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Math.min(timeout.toMillis(), 10_000L));
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Math.min(timeout.toMillis(), 10_000L));
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        return p;
    }

    /** A consumer that joins no group and commits nothing; read_committed so aborted replays stay invisible. */
    public Consumer<String, byte[]> consumer() {
        Map<String, Object> p = common();
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a wrong prefix must not create topics
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        p.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 1024 * 1024);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "relay-replay-scan");
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** An idempotent, acks=all, transactional producer; one transactional id per topic prefix fences other runs. */
    public Producer<String, byte[]> producer(String transactionalId) {
        Map<String, Object> p = common();
        p.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        // short, so a killed run's open transaction stops holding back read_committed readers soon
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 20_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis() + 10_000);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "relay-replay-publish");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** Fails with exit 3 unless the broker answers a describe-cluster within the timeout. */
    public void checkBroker() {
        Admin admin;
        try {
            admin = Admin.create(common());
        } catch (KafkaException e) {
            throw ReplayException.unreachable("cannot use broker " + bootstrapServers + ": " + rootMessage(e), e);
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .clusterId()
                    .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw ReplayException.unreachable(
                    "broker " + bootstrapServers + " did not answer within " + timeout.toSeconds() + " s ("
                            + rootMessage(e) + "); is it running? check --bootstrap-servers",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ReplayException.unreachable("interrupted while reaching " + bootstrapServers, e);
        } finally {
            admin.close(Duration.ofMillis(500)); // do not wait out the timed-out call again
        }
    }

    /** Fails with exit 3 unless {@code GET <registry>/subjects} answers 200 within the timeout. */
    public void checkRegistry() {
        URI uri;
        try {
            uri = URI.create(registryUrl.endsWith("/") ? registryUrl + "subjects" : registryUrl + "/subjects");
        } catch (IllegalArgumentException e) {
            throw ReplayException.usage("--registry-url: not a URL: " + registryUrl);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        try {
            HttpResponse<Void> response = http.send(
                    HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != 200) {
                throw ReplayException.unreachable(
                        "schema registry " + registryUrl + " answered HTTP "
                                + response.statusCode() + " to GET /subjects; check --registry-url "
                                + "(Apicurio: http://HOST:PORT/apis/ccompat/v7)",
                        null);
            }
        } catch (java.io.IOException e) {
            throw ReplayException.unreachable(
                    "schema registry " + registryUrl + " did not answer within " + timeout.toSeconds() + " s (" + e
                            + "); check --registry-url",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ReplayException.unreachable("interrupted while reaching " + registryUrl, e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
