package dev.relay.processor.topology;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record whose bytes cannot be read as a Job (not Avro, unknown schema id, ...) goes to the dead-letter topic with
 * its original key and value and the error headers; processing continues with the next record.
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
    private String deadLetterTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetterTopic = DeadLetters.topic(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception error) {
        log.warn(
                "unreadable record {}-{}@{} goes to {}: {}",
                context.topic(),
                context.partition(),
                context.offset(),
                deadLetterTopic,
                error.toString());
        return Response.resume(DeadLetters.record(deadLetterTopic, record.key(), record.value(), context, error));
    }
}
