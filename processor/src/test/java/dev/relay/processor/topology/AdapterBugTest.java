package dev.relay.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.Decision;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.OutcomeClass;
import dev.relay.testkit.registry.InMemorySchemaRegistry;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An exception inside an adapter or a mapper is a bug in Relay, not a provider outage: the attempt is classed
 * INTERNAL, is neither retried nor fallen back from (the failure table's default), is logged at ERROR with its stack
 * and is counted; the provider's circuit breaker learns nothing from it.
 */
class AdapterBugTest {

    private static InMemorySchemaRegistry registry;

    @TempDir
    Path stateDir;

    private TopologyHarness h;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger launcherLog = (Logger) LoggerFactory.getLogger(CallEnd.class);

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = InMemorySchemaRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @BeforeEach
    void open() {
        h = new TopologyHarness(registry, stateDir);
        logs.start();
        launcherLog.addAppender(logs);
    }

    @AfterEach
    void close() {
        launcherLog.detachAppender(logs);
        h.close();
    }

    @Test
    void shouldEndTheJobAsInternalWhenTheRequestMappingThrows() {
        assertNotRetriedAsAnOutage(
                alpha -> alpha.throwing(new IllegalStateException("request mapper bug")), IllegalStateException.class);
    }

    @Test
    void shouldEndTheJobAsInternalWhenTheResponseMappingThrows() {
        assertNotRetriedAsAnOutage(
                alpha -> alpha.failing(new NullPointerException("response mapper bug")), NullPointerException.class);
    }

    private void assertNotRetriedAsAnOutage(Consumer<ScriptedProvider> bug, Class<?> thrown) {
        bug.accept(h.provider("alpha"));
        h.submit(TopologyHarness.job("bug-1", "alpha/m1", "beta/m2"));
        h.run();

        // one call: alpha has retries and a second key left, and beta is next in the chain, yet nothing else is tried
        assertThat(h.provider("alpha").calls()).hasSize(1);
        assertThat(h.provider("beta").calls()).isEmpty();
        assertThat(h.attempts.readValuesToList()).singleElement().satisfies((AttemptRecord a) -> {
            assertThat(a.getOutcome()).isEqualTo(OutcomeClass.INTERNAL);
            assertThat(a.getDecision()).isEqualTo(Decision.GIVE_UP);
            assertThat(a.getErrorMessage()).contains("mapper bug");
        });
        assertThat(h.results.readValuesToList()).singleElement().satisfies((JobResult r) -> {
            assertThat(r.getStatus()).isEqualTo(JobStatus.FAILED);
            assertThat(r.getError().getOutcome()).isEqualTo(OutcomeClass.INTERNAL);
            assertThat(r.getError().getHttpStatus()).isEqualTo(500);
        });
        assertThat(h.failed.readValuesToList())
                .singleElement()
                .satisfies(f -> assertThat(f.getTerminalReason()).isEqualTo("INTERNAL"));
        assertThat(h.meters
                        .get("relay.internal.errors")
                        .tag("provider", "alpha")
                        .tag("model", "m1")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(logs.list)
                .filteredOn(e -> e.getLevel() == Level.ERROR)
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.getFormattedMessage()).contains("alpha/m1").contains("INTERNAL");
                    assertThat(e.getThrowableProxy()).isNotNull();
                    assertThat(e.getThrowableProxy().getClassName()).isEqualTo(thrown.getName());
                    assertThat(e.getMDCPropertyMap()).containsEntry("job_id", "bug-1");
                });
    }
}
