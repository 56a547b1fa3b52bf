package dev.relay.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.OtelSettings;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TelemetryTest {

    @Test
    void shouldCarryTheTraceContextThroughKafkaHeaders() {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (Telemetry t = Telemetry.exportingTo(exporter, "test")) {
            Span span = t.tracer().spanBuilder("publish").startSpan();
            Headers headers;
            try (Scope s = span.makeCurrent()) {
                headers = Telemetry.currentHeaders();
            }
            span.end();
            String traceparent = new String(headers.lastHeader("traceparent").value(), StandardCharsets.UTF_8);
            assertThat(traceparent)
                    .startsWith("00-" + span.getSpanContext().getTraceId() + "-"
                            + span.getSpanContext().getSpanId() + "-");

            Context extracted = t.extract(headers);
            assertThat(Span.fromContext(extracted).getSpanContext().getTraceId())
                    .isEqualTo(span.getSpanContext().getTraceId());
            assertThat(exporter.getFinishedSpanItems()).hasSize(1);
        }
    }

    @Test
    void shouldContinueACallersTraceparentFromHttpHeaders() {
        try (Telemetry t = Telemetry.exportingTo(InMemorySpanExporter.create(), "test")) {
            String tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            Context c = t.extractHttp(name -> name.equals("traceparent") ? tp : null);
            assertThat(Span.fromContext(c).getSpanContext().getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(Span.fromContext(c).getSpanContext().getSpanId()).isEqualTo("b7ad6b7169203331");
        }
    }

    @Test
    void shouldRecordAndWriteNothingWhenOff() {
        Telemetry off = Telemetry.from(OtelSettings.disabled(), "relay-test");
        assertThat(off).isSameAs(Telemetry.NONE);
        assertThat(off.enabled()).isFalse();
        Span span = off.tracer().spanBuilder("x").startSpan();
        assertThat(span.getSpanContext().isValid()).isFalse();
        RecordHeaders headers = new RecordHeaders();
        off.inject(Context.root().with(span), headers);
        try (Scope s = span.makeCurrent()) {
            assertThat(Telemetry.currentHeaders().toArray()).isEmpty();
        }
        assertThat(headers.toArray()).isEmpty();
        String tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assertThat(Span.fromContext(off.extractHttp(n -> tp)).getSpanContext().isValid())
                .isFalse();
    }
}
