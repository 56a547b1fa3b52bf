package dev.relay.ingress.logstore;

import dev.relay.config.LogsStoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The log store's database: SQLite (one file, WAL, one writer and a few readers) or PostgreSQL, both through plain
 * JDBC and the same SQL. One writer connection belongs to the projector's thread; readers are borrowed from a small
 * pool, so a dashboard query never waits for the projector's transaction and never the other way round.
 */
public final class LogDatabase implements AutoCloseable {

    /** A unit of read work on a pooled connection. */
    public interface Query<T> {
        T run(Connection c) throws SQLException;
    }

    private static final int READERS = 4;

    private final String url;
    private final Properties props;
    private final boolean sqlite;
    private final Connection writer;
    private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
    private final List<Connection> all = new ArrayList<>();

    private LogDatabase(String url, Properties props, boolean sqlite) throws SQLException {
        this.url = url;
        this.props = props;
        this.sqlite = sqlite;
        this.writer = open(false);
        Schema.create(writer, sqlite);
        for (int i = 0; i < READERS; i++) {
            readers.add(open(true));
        }
    }

    /** Opens (and creates if needed) the store that {@code settings} names; {@code stateDir} holds the default file. */
    public static LogDatabase open(LogsStoreSettings settings, Path stateDir) {
        try {
            if (settings.type().equals(LogsStoreSettings.POSTGRES)) {
                Properties p = new Properties();
                if (settings.user() != null) {
                    p.setProperty("user", settings.user());
                }
                settings.password().ifPresent(s -> p.setProperty("password", s.reveal()));
                return new LogDatabase(settings.url(), p, false);
            }
            return sqlite(settings.sqlitePath(stateDir));
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "logs_store: cannot open the " + settings.type() + " database: " + e.getMessage(), e);
        }
    }

    /** A PostgreSQL store at a JDBC URL ({@code jdbc:postgresql://host/db}); null user or password = none. */
    public static LogDatabase postgres(String url, String user, String password) throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return new LogDatabase(url, p, false);
    }

    public static LogDatabase sqlite(Path file) throws SQLException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (java.io.IOException e) {
            throw new SQLException("cannot create the directory of " + file + ": " + e.getMessage(), e);
        }
        return new LogDatabase("jdbc:sqlite:" + file.toAbsolutePath(), new Properties(), true);
    }

    private Connection open(boolean reader) throws SQLException {
        Connection c = DriverManager.getConnection(url, props);
        if (sqlite) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                if (!reader) {
                    s.execute("PRAGMA journal_mode = WAL");
                    // the topics are the truth: a lost tail after a power cut is read again from them
                    s.execute("PRAGMA synchronous = NORMAL");
                }
                s.execute("PRAGMA cache_size = -32768");
            }
        }
        c.setAutoCommit(!reader ? false : true);
        all.add(c);
        return c;
    }

    public boolean isSqlite() {
        return sqlite;
    }

    /** The projector's connection (autocommit off). Only the projector's thread uses it. */
    Connection writer() {
        return writer;
    }

    /** Runs {@code q} on a pooled reader connection. */
    public <T> T read(Query<T> q) {
        Connection c;
        try {
            c = readers.poll(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for a log store connection", e);
        }
        if (c == null) {
            throw new IllegalStateException("no log store connection free in 10 s");
        }
        try {
            return q.run(c);
        } catch (SQLException e) {
            throw new IllegalStateException("log store query failed: " + e.getMessage(), e);
        } finally {
            readers.add(c);
        }
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    @Override
    public void close() {
        for (Connection c : all) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing: nothing left to do with it
            }
        }
    }
}
