package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.RelayConfig;
import dev.relay.schemas.Topics;
import dev.relay.schemas.serde.RelaySerdes;
import dev.relay.schemas.serde.SchemaRegistryClient;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/**
 * The log store: a database (SQLite or PostgreSQL) fed from the topics by {@link LogProjector}, read by the dashboard
 * through {@link LogQueries}. Its own consumer, thread and connections: it never blocks the request path.
 */
public final class LogStore implements AutoCloseable {

    private final LogDatabase db;
    private final LogProjector projector;
    private final LogQueries queries;
    private final Admin admin;

    private LogStore(LogDatabase db, LogProjector projector, LogQueries queries, Admin admin) {
        this.db = db;
        this.projector = projector;
        this.queries = queries;
        this.admin = admin;
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
            LogProjector projector = new LogProjector(
                    props, admin, new LogWriter(db, config.logsStore().storeContent()), serdes, topics, clock);
            projector.start();
            return new LogStore(db, projector, new LogQueries(db, new ObjectMapper()), admin);
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

    public LogProjector projector() {
        return projector;
    }

    public LogDatabase database() {
        return db;
    }

    @Override
    public void close() {
        projector.close();
        admin.close();
        db.close();
    }
}
