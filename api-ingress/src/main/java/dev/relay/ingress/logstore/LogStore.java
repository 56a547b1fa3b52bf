package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.RelayConfig;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/**
 * The log store: a database (SQLite or PostgreSQL) fed from the topics by {@link LogProjector}, read by the dashboard
 * through {@link LogQueries}. Its own consumer, thread and connections: it never blocks the request path. The dashboard
 * runs its queries on {@link #background()}, whose threads (like the projection's) take the lowest CPU priority when
 * {@code logs_store.background_priority} is on, so neither takes CPU the request path needs.
 */
public final class LogStore implements AutoCloseable {

    private static final int QUERY_THREADS = 4;

    private final LogDatabase db;
    private final LogProjector projector;
    private final LogQueries queries;
    private final Admin admin;
    private final ExecutorService background;

    private LogStore(
            LogDatabase db, LogProjector projector, LogQueries queries, Admin admin, ExecutorService background) {
        this.db = db;
        this.projector = projector;
        this.queries = queries;
        this.admin = admin;
        this.background = background;
    }

    /** Opens the configured store and starts following the topics. */
    public static LogStore start(RelayConfig config, Clock clock) {
        var kafka = config.kafka();
        Topics topics = new Topics(kafka.topicPrefix(), kafka.maxHops());
        Map<String, Object> props = new HashMap<>(kafka.properties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        RelaySerdes serdes = RelaySerdes.create(SchemaRegistryClient.create(kafka.schemaRegistryUrl()));
        LogDatabase db = LogDatabase.open(config.logsStore(), kafka.stateDir());
        Admin admin = null;
        try {
            admin = Admin.create(props);
            boolean low = config.logsStore().backgroundPriority();
            LogProjector projector = new LogProjector(
                    props, admin, new LogWriter(db, config.logsStore().storeContent()), serdes, topics, clock, low);
            projector.start();
            return new LogStore(
                    db,
                    projector,
                    new LogQueries(db, new ObjectMapper()),
                    admin,
                    BackgroundPriority.executor("relay-dashboard-query", QUERY_THREADS, low));
        } catch (RuntimeException e) {
            if (admin != null) {
                admin.close();
            }
            db.close();
            throw e;
        }
    }

    public LogQueries queries() {
        return queries;
    }

    /** Where the dashboard's queries run: a few threads at the store's CPU priority. */
    public ExecutorService background() {
        return background;
    }

    public LogProjector projector() {
        return projector;
    }

    public LogDatabase database() {
        return db;
    }

    @Override
    public void close() {
        background.shutdownNow();
        projector.close();
        admin.close();
        db.close();
    }
}
