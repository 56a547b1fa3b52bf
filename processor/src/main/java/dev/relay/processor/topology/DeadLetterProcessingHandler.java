package dev.relay.processor.topology;

import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job that can be read but not processed (no chain, a hop beyond its chain, a bug) goes to the dead-letter topic
 * with the source record's original bytes and the error headers; processing continues.
 */
public final class DeadLetterProcessingHandler implements ProcessingExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);
    private String deadLetterTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetterTopic = DeadLetters.topic(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
        log.warn(
                "record {}-{}@{} failed in {} and goes to {}: {}",
                context.topic(),
                context.partition(),
                context.offset(),
                context.processorNodeId(),
                deadLetterTopic,
                error.toString());
        return Response.resume(
                DeadLetters.record(deadLetterTopic, context.sourceRawKey(), context.sourceRawValue(), context, error));
    }
}
