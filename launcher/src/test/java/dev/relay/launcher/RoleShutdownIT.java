package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.processor.it.RelayIt;
import dev.relay.schemas.Topics;
import dev.relay.testkit.RelayStackExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGTERM is a clean stop for each role that {@code RelayMain} runs: the JVM exits (with a SIGTERM's 143) only after
 * the role has closed, the processor's Kafka Streams NOT_RUNNING and the ingress stopped.
 */
@Tag("it")
@Timeout(180)
class RoleShutdownIT {

    @RegisterExtension
    static final RelayStackExtension STACK = new RelayStackExtension();

    private static final String MOCK = "\"mock\": {\"type\": \"mock\", \"keys\": []}";

    /** Under target/ so the children's logs stay for a look after a failure. */
    private final Path dir = Path.of(
                    "target", "role-shutdown-it", UUID.randomUUID().toString().substring(0, 8))
            .toAbsolutePath();

    @Test
    void shouldCloseTheProcessorBeforeTheJvmExitsOnSigterm() throws Exception {
        Files.createDirectories(dir);
        Path config = dir.resolve("processor.json");
        Files.writeString(
                config,
                RelayIt.configJson(
                        STACK.bootstrapServers(),
                        STACK.registryUrl(),
                        STACK.freshTopics(),
                        RelayIt.appId(),
                        dir.resolve("processor-state"),
                        MOCK,
                        ""));
        Path log = dir.resolve("processor.log");
        Process p = RoleJvm.start("processor", config, log);
        RoleJvm.awaitLine(log, "-> RUNNING", Duration.ofSeconds(60));

        int exit = RoleJvm.stop(p);

        String out = Files.readString(log);
        assertThat(exit).as(out).isEqualTo(143);
        assertThat(out)
                .contains("relay processor: stopping", "-> NOT_RUNNING", "relay processor stopped")
                .doesNotContain("not closed after");
        assertThat(out.indexOf("-> NOT_RUNNING")).isLessThan(out.indexOf("relay processor stopped"));
    }

    @Test
    void shouldCloseTheIngressBeforeTheJvmExitsOnSigterm() throws Exception {
        Files.createDirectories(dir);
        Topics topics = STACK.freshTopics();
        Path config = dir.resolve("ingress.json");
        Files.writeString(config, """
                {"providers": { %s }, "metrics": {"port": 0},
                 "kafka": {"bootstrap_servers": "%s", "schema_registry_url": "%s", "topic_prefix": "%s",
                           "state_dir": "%s"},
                 "ingress": {"port": 0}}
                """.formatted(
                        MOCK,
                        STACK.bootstrapServers(),
                        STACK.registryUrl(),
                        topics.prefix(),
                        dir.resolve("ingress-state").toString().replace("\\", "/")));
        Path log = dir.resolve("ingress.log");
        Process p = RoleJvm.start("ingress", config, log);
        RoleJvm.awaitLine(log, "Ctrl-C stops it", Duration.ofSeconds(60));

        int exit = RoleJvm.stop(p);

        String out = Files.readString(log);
        assertThat(exit).as(out).isEqualTo(143);
        assertThat(out)
                .contains("relay ingress listening", "relay ingress: stopping", "relay ingress stopped")
                .doesNotContain("not closed after");
    }
}
