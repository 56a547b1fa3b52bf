package dev.relay.ingress.kafka;

import java.time.Duration;

/**
 * Where the ingress reads streaming jobs' chunks. {@link #subscribe}: this instance's own partition, live, from now
 * on (one shared consumer for all of its callers). {@link #replay}: any partition from an offset (a resume, on any
 * instance; a consumer of its own, for the request's lifetime).
 */
public interface StreamSource extends AutoCloseable {

    /** The {@code relay.stream} partition this instance reads: the one its jobs name. */
    int partition();

    /** The job's chunks from now on. Subscribe BEFORE publishing the job, so none can slip past. */
    Subscription subscribe(String jobId);

    /**
     * The job's chunks in {@code partition} from {@code fromOffset} (inclusive), or, when it is negative, from the
     * first record written at or after {@code fromTimeMs}; then live.
     */
    Subscription replay(String jobId, int partition, long fromOffset, long fromTimeMs);

    /** A job's chunks, in partition order. */
    interface Subscription extends AutoCloseable {

        /** The next chunk, or null when none came within {@code timeout}. */
        ChunkRecord poll(Duration timeout) throws InterruptedException;

        /**
         * Whether nothing read for this job is waiting to be taken: for the instance's live reader, its queue is empty
         * (the reader may still be behind the partition's end); for a resume's own consumer, it has reached the
         * partition's end.
         */
        boolean caughtUp();

        @Override
        void close();
    }

    /** For backends without streaming (HTTP-only tests): nothing ever arrives. */
    StreamSource NONE = new StreamSource() {
        @Override
        public int partition() {
            return 0;
        }

        @Override
        public Subscription subscribe(String jobId) {
            return empty();
        }

        @Override
        public Subscription replay(String jobId, int partition, long fromOffset, long fromTimeMs) {
            return empty();
        }

        private Subscription empty() {
            return new Subscription() {
                @Override
                public ChunkRecord poll(Duration timeout) throws InterruptedException {
                    Thread.sleep(timeout.toMillis());
                    return null;
                }

                @Override
                public boolean caughtUp() {
                    return true;
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public void close() {}
    };

    @Override
    void close();
}
