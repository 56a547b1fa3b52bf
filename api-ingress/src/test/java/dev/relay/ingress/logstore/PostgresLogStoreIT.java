package dev.relay.ingress.logstore;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/**
 * The log store's contract on a real PostgreSQL server (Debian's {@code postgresql}; {@code .ci/run} installs and
 * starts it and sets {@code RELAY_TEST_POSTGRES_URL}, plus {@code _USER} and {@code _PASSWORD}). Each store gets a
 * schema of its own. Skipped when no server is configured.
 */
class PostgresLogStoreIT extends LogStoreContract {

    private static final String URL = System.getenv("RELAY_TEST_POSTGRES_URL");
    private static final String USER = System.getenv().getOrDefault("RELAY_TEST_POSTGRES_USER", "relay");
    private static final String PASSWORD = System.getenv().getOrDefault("RELAY_TEST_POSTGRES_PASSWORD", "relay");

    @BeforeAll
    static void server() {
        assumeTrue(URL != null && !URL.isBlank(), "RELAY_TEST_POSTGRES_URL is not set: no PostgreSQL server to test");
    }

    @Override
    LogDatabase open(String name) throws Exception {
        String schema = "logs_" + name + "_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD)) {
            c.createStatement().execute("CREATE SCHEMA " + schema);
        }
        return LogDatabase.postgres(URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema, USER, PASSWORD);
    }
}
