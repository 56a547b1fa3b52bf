package dev.relay.ingress.kafka;

import dev.relay.schemas.Job;
import java.util.List;

/** Writes jobs to the hop-0 topic. Returns only when every job is acknowledged (acks=all), or throws. */
public interface JobPublisher extends AutoCloseable {

    /** @throws PublishException when the broker or the registry did not take every job */
    void publish(List<Job> jobs);

    @Override
    void close();

    /** The broker (or registry) did not take the job; the caller gets a 503 and may retry. */
    final class PublishException extends RuntimeException {
        public PublishException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
