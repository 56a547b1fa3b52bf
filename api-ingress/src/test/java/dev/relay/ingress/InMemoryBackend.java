package dev.relay.ingress;

import dev.relay.ingress.kafka.Catalog;
import dev.relay.ingress.kafka.FileContents;
import dev.relay.ingress.kafka.JobPublisher;
import dev.relay.ingress.kafka.JobView;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The HTTP layer's seam for unit tests: records what would be published, and (if given a "processor" function) answers
 * each job by feeding a result into the view on another thread, as the results consumer would. The Kafka path is
 * covered by the *IT tests on the real broker.
 */
public final class InMemoryBackend implements IngressBackend {

    public final List<Job> published = new CopyOnWriteArrayList<>();
    private final JobView view = new JobView(Clock.systemUTC(), Duration.ofHours(24));
    private final Catalog catalog = Catalog.inMemory();
    private final FileContents files = FileContents.inMemory();
    private volatile Function<Job, JobResult> processor;
    public volatile boolean down;

    public InMemoryBackend answering(Function<Job, JobResult> processor) {
        this.processor = processor;
        return this;
    }

    @Override
    public JobPublisher publisher() {
        return new JobPublisher() {
            @Override
            public void publish(List<Job> jobs) {
                if (down) {
                    throw new PublishException("broker unreachable", null);
                }
                published.addAll(jobs);
                Function<Job, JobResult> p = processor;
                if (p != null) {
                    for (Job j : jobs) {
                        Thread.ofVirtual().start(() -> {
                            JobResult r = p.apply(j);
                            if (r != null) {
                                view.onResult(r);
                            }
                        });
                    }
                }
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public JobView view() {
        return view;
    }

    @Override
    public Catalog catalog() {
        return catalog;
    }

    @Override
    public FileContents files() {
        return files;
    }

    @Override
    public Map<String, Boolean> readiness() {
        return Map.of("in_memory", true);
    }

    @Override
    public void bindMetrics(MeterRegistry registry) {}

    @Override
    public void close() {}
}
