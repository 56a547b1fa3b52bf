package dev.relay.processor.topology;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * Builds dead-letter records: the original key and value bytes with error headers. The header names are Kafka
 * Streams' own ({@code __streams.errors.*}, KIP-1034), so tools that read Streams' dead-letter records read ours.
 */
final class DeadLetters {

    static final String EXCEPTION = "__streams.errors.exception";
    static final String MESSAGE = "__streams.errors.message";
    static final String STACKTRACE = "__streams.errors.stacktrace";
    static final String TOPIC = "__streams.errors.topic";
    static final String PARTITION = "__streams.errors.partition";
    static final String OFFSET = "__streams.errors.offset";

    private DeadLetters() {}

    static String topic(Map<String, ?> configs) {
        Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (t == null || t.toString().isBlank()) {
            throw new IllegalStateException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG + " is not set");
        }
        return t.toString();
    }

    static List<ProducerRecord<byte[], byte[]>> record(
            String deadLetterTopic, byte[] key, byte[] value, ErrorHandlerContext context, Exception error) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(EXCEPTION, utf8(error.getClass().getName()));
        headers.add(MESSAGE, utf8(String.valueOf(error.getMessage())));
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        headers.add(STACKTRACE, utf8(trace.toString()));
        headers.add(TOPIC, utf8(context.topic()));
        headers.add(PARTITION, utf8(Integer.toString(context.partition())));
        headers.add(OFFSET, utf8(Long.toString(context.offset())));
        return List.of(new ProducerRecord<>(deadLetterTopic, null, key, value, headers));
    }

    private static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }
}
