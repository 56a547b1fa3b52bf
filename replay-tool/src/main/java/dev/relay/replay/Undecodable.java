package dev.relay.replay;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;

/**
 * Logs records that cannot be decoded: the first few at WARN with their location, the rest at DEBUG, so a registry
 * outage or a topic full of foreign records does not print one line per record. The scan stats count them all.
 */
final class Undecodable {

    private static final int WARN_LIMIT = 10;

    private final AtomicLong seen = new AtomicLong();
    private final Logger log;

    Undecodable(Logger log) {
        this.log = log;
    }

    void report(ConsumerRecord<String, byte[]> r, Exception e) {
        long n = seen.incrementAndGet();
        if (n <= WARN_LIMIT) {
            log.warn(
                    "skipping undecodable record {}-{}@{}: {}{}",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.getMessage(),
                    n == WARN_LIMIT ? " (further ones are logged at DEBUG; the report counts them)" : "");
        } else {
            log.debug("skipping undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }
}
