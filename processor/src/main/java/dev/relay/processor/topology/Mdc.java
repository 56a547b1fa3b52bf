package dev.relay.processor.topology;

import dev.relay.schemas.Job;
import org.slf4j.MDC;

/** Puts job_id, hop, provider and model in the MDC for one block; closing removes them. */
final class Mdc implements AutoCloseable {

    private Mdc() {}

    static Mdc of(Job job, int hop, String provider, String model) {
        MDC.put("job_id", job.getJobId());
        MDC.put("hop", Integer.toString(hop));
        MDC.put("provider", provider);
        MDC.put("model", model);
        return new Mdc();
    }

    @Override
    public void close() {
        MDC.remove("job_id");
        MDC.remove("hop");
        MDC.remove("provider");
        MDC.remove("model");
    }
}
