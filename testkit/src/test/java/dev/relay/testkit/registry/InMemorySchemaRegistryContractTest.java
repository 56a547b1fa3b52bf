package dev.relay.testkit.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.schemas.serde.SchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The registry contract against the in-process fake, plus what only the fake can observe. */
class InMemorySchemaRegistryContractTest extends SchemaRegistryContract {

    private static InMemorySchemaRegistry registry;

    @BeforeAll
    static void start() {
        registry = InMemorySchemaRegistry.start();
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Override
    String url() {
        return registry.url();
    }

    @Test
    void shouldSendTheBasicAndBearerAuthorizationHeaders() {
        String subject = subject();
        int id = SchemaRegistryClient.withBasicAuth(url(), "relay", "s3cret").register(subject, V1);
        SchemaRegistryClient.withBearerToken(url(), "tok-123").getById(id);

        String basic = "Basic " + Base64.getEncoder().encodeToString("relay:s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(registry.authorizationHeaders()).containsSubsequence(basic, "Bearer tok-123");
    }
}
