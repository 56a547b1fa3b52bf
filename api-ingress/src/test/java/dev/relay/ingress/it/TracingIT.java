package dev.relay.ingress.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.Http;
import dev.relay.ingress.RelayIngress;
import dev.relay.processor.RelayProcessor;
import dev.relay.schemas.Topics;
import dev.relay.telemetry.GenAi;
import dev.relay.telemetry.Telemetry;
import dev.relay.testkit.RelayStackExtension;
import dev.relay.testkit.StackConfig;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job's trace across the real ingress, broker, registry and processor, read from an in-memory exporter: the
 * caller's {@code traceparent} is continued by the ingress request span, the {@code relay.job} span is its child, and
 * each attempt (a 429 on the primary, the fallback's answer) is a span under the job with the GenAI attributes. The
 * context crosses Kafka in the records' headers. No span carries an API key value.
 */
@Tag("it")
@Timeout(120)
class TracingIT {

    private static final Logger log = LoggerFactory.getLogger(TracingIT.class);

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @Test
    void shouldTraceAJobFromTheCallersSpanThroughEveryAttempt() throws Exception {
        FakeProvider openai = FakeProvider.start().reply(Reply.error(429, "requests", "Rate limit reached"));
        FakeProvider anthropic = FakeProvider.start().reply(Reply.ok("hi").usage(11, 7));
        Topics topics = new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".", Topics.DEFAULT_MAX_HOPS);
        STACK.createTopics(topics);
        String json = StackConfig.on(STACK, topics)
                .provider("openai", "openai", "o1", "sk-secret-openai", openai.baseUrl())
                .provider("anthropic", "openai-compatible", "a1", "sk-secret-anthropic", anthropic.baseUrl())
                .section("ingress", "{\"port\": 0, \"sync_timeout\": \"30s\"}")
                .section("otel", "{\"enabled\": true, \"endpoint\": \"http://127.0.0.1:1\"}")
                .json();
        RelayConfig config = new ConfigLoader(n -> Optional.empty()).parse(json, "it");
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (RelayProcessor processor =
                        RelayProcessor.start(config, Telemetry.exportingTo(exporter, "relay-processor"));
                RelayIngress ingress = RelayIngress.start(config, Telemetry.exportingTo(exporter, "relay-ingress"))) {
            assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Http.Response r = new Http(ingress.port())
                    .postJson(
                            "/v1/chat/completions",
                            "{\"model\":\"openai/gpt-4o-mini\",\"fallbacks\":[\"anthropic/claude-3-5-haiku\"],"
                                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
                            Map.of("traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01"));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> exporter.getFinishedSpanItems().stream()
                                            .filter(s -> s.getKind() == SpanKind.CLIENT)
                                            .count()
                                    >= 2
                            && exporter.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
            List<SpanData> spans = exporter.getFinishedSpanItems();
            spans.forEach(s -> log.info(
                    "span {} {} {} parent {} {}",
                    s.getName(),
                    s.getKind(),
                    s.getSpanId(),
                    s.getParentSpanId(),
                    s.getAttributes()));

            assertThat(spans).allMatch(s -> s.getTraceId().equals(CALLER_TRACE), "every span in the caller's trace");
            SpanData request = only(spans, SpanKind.SERVER);
            assertThat(request.getName()).isEqualTo("POST /v1/chat/completions");
            assertThat(request.getParentSpanId()).isEqualTo(CALLER_SPAN);
            SpanData job = only(spans, SpanKind.PRODUCER);
            assertThat(job.getName()).isEqualTo("relay.job");
            assertThat(job.getParentSpanId()).isEqualTo(request.getSpanId());
            String jobId = job.getAttributes().get(GenAi.JOB_ID);
            assertThat(request.getAttributes().get(GenAi.JOB_ID)).isEqualTo(jobId);

            List<SpanData> attempts = spans.stream()
                    .filter(s -> s.getKind() == SpanKind.CLIENT)
                    .sorted(Comparator.comparing(s -> s.getAttributes().get(GenAi.HOP)))
                    .toList();
            assertThat(attempts)
                    .hasSize(2)
                    .allMatch(s -> s.getParentSpanId().equals(job.getSpanId()))
                    .allMatch(s -> jobId.equals(s.getAttributes().get(GenAi.JOB_ID)));
            SpanData primary = attempts.get(0);
            assertThat(primary.getAttributes().get(GenAi.PROVIDER_NAME)).isEqualTo("openai");
            assertThat(primary.getAttributes().get(GenAi.SYSTEM)).isEqualTo("openai");
            assertThat(primary.getAttributes().get(GenAi.REQUEST_MODEL)).isEqualTo("gpt-4o-mini");
            assertThat(primary.getAttributes().get(GenAi.KEY_NAME)).isEqualTo("o1");
            assertThat(primary.getAttributes().get(GenAi.OUTCOME_CLASS)).isEqualTo("RATE_LIMITED");
            assertThat(primary.getAttributes().get(GenAi.HTTP_STATUS)).isEqualTo(429L);
            assertThat(primary.getAttributes().get(GenAi.DECISION)).isEqualTo("NEXT_HOP");
            SpanData fallback = attempts.get(1);
            assertThat(fallback.getAttributes().get(GenAi.PROVIDER_NAME)).isEqualTo("anthropic");
            assertThat(fallback.getAttributes().get(GenAi.REQUEST_MODEL)).isEqualTo("claude-3-5-haiku");
            assertThat(fallback.getAttributes().get(GenAi.KEY_NAME)).isEqualTo("a1");
            assertThat(fallback.getAttributes().get(GenAi.OUTCOME_CLASS)).isEqualTo("SUCCESS");
            assertThat(fallback.getAttributes().get(GenAi.DECISION)).isEqualTo("RETURNED");
            assertThat(fallback.getAttributes().get(GenAi.INPUT_TOKENS)).isEqualTo(11L);
            assertThat(fallback.getAttributes().get(GenAi.OUTPUT_TOKENS)).isEqualTo(7L);
            assertThat(spans.toString()).doesNotContain("sk-secret");
        } finally {
            openai.close();
            anthropic.close();
        }
    }

    private static SpanData only(List<SpanData> spans, SpanKind kind) {
        List<SpanData> of = spans.stream().filter(s -> s.getKind() == kind).toList();
        assertThat(of).as(kind + " spans").hasSize(1);
        return of.getFirst();
    }
}
