package dev.relay.ingress.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The dashboard's reads of the log store, as JSON. Columns holding JSON text come back as JSON. */
public final class LogQueries {

    private static final Set<String> JSON_COLUMNS = Set.of(
            "chain",
            "metadata",
            "request_json",
            "response_json",
            "error_json",
            "attempts_json",
            "headers_json",
            "status_json");
    private static final String LIST_COLUMNS = "j.job_id, j.submitted_at, j.status, j.provider, j.model, "
            + "j.fallback_index, j.failure_class, j.latency_ms, j.attempt_count, j.tenant, j.batch_id, j.custom_id, "
            + "j.chain, j.job_generation, j.terminal_reason, SUBSTR(j.prompt, 1, 160) AS prompt";

    private final LogDatabase db;
    private final ObjectMapper json;

    public LogQueries(LogDatabase db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    /** A page of jobs, newest first. */
    public ArrayNode jobs(JobQuery q) {
        JobQuery.Where w = q.where(db.isSqlite());
        String sql = "SELECT " + LIST_COLUMNS + " FROM jobs j WHERE " + w.sql()
                + " ORDER BY j.submitted_at DESC, j.job_id DESC LIMIT " + q.limit();
        return db.read(c -> rows(c, sql, w.args()));
    }

    public long count(JobQuery q) {
        JobQuery.Where w = q.where(db.isSqlite());
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM jobs j WHERE " + w.sql())) {
                bind(s, w.args());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    /** One job with its attempts (every generation, in order) and its webhook. */
    public Optional<ObjectNode> job(String jobId) {
        return db.read(c -> {
            ArrayNode rows = rows(c, "SELECT * FROM jobs WHERE job_id = ?", List.of(jobId));
            if (rows.isEmpty()) {
                return Optional.empty();
            }
            ObjectNode job = (ObjectNode) rows.get(0);
            job.set(
                    "attempts",
                    rows(
                            c,
                            "SELECT * FROM attempts WHERE job_id = ? "
                                    + "ORDER BY generation, hop, attempt, started_at",
                            List.of(jobId)));
            ArrayNode hooks = rows(c, "SELECT * FROM webhooks WHERE job_id = ?", List.of(jobId));
            job.set("webhook", hooks.isEmpty() ? null : hooks.get(0));
            return Optional.of(job);
        });
    }

    /** Requests, successes, failures and fallbacks per bucket since {@code since}; latency per provider. */
    public ObjectNode overview(long since, long bucketMs) {
        return db.read(c -> {
            ObjectNode out = json.createObjectNode();
            out.put("since", since);
            out.put("bucket_ms", bucketMs);
            out.set(
                    "series",
                    rows(
                            c,
                            "SELECT (submitted_at / ?) * ? AS t, COUNT(*) AS total, "
                                    + "SUM(CASE WHEN status = 'SUCCEEDED' THEN 1 ELSE 0 END) AS succeeded, "
                                    + "SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failed, "
                                    + "SUM(CASE WHEN fallback_index > 0 AND status = 'SUCCEEDED' THEN 1 ELSE 0 END) AS fell_back "
                                    + "FROM jobs WHERE submitted_at >= ? GROUP BY 1 ORDER BY 1",
                            List.of(bucketMs, bucketMs, since)));
            out.set(
                    "totals",
                    rows(
                            c,
                            "SELECT status, COUNT(*) AS n FROM jobs WHERE submitted_at >= ? GROUP BY status",
                            List.of(since)));
            out.set("latency", latency(c, since));
            out.set(
                    "last_errors",
                    rows(
                            c,
                            "SELECT a.provider, a.outcome, a.started_at FROM attempts a "
                                    + "JOIN (SELECT provider, MAX(started_at) AS m FROM attempts WHERE outcome <> 'SUCCESS' "
                                    + "AND started_at >= ? GROUP BY provider) x ON a.provider = x.provider AND a.started_at = x.m "
                                    + "WHERE a.outcome <> 'SUCCESS'",
                            List.of(since)));
            out.set(
                    "providers",
                    rows(
                            c,
                            "SELECT provider, status_json, updated_at FROM provider_status " + "ORDER BY provider",
                            List.of()));
            return out;
        });
    }

    /** p50 and p95 of the successful attempts' latency per provider since {@code since} (at most 100,000 read). */
    private ArrayNode latency(Connection c, long since) throws SQLException {
        Map<String, List<Long>> byProvider = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT provider, latency_ms FROM attempts "
                + "WHERE started_at >= ? AND outcome = 'SUCCESS' ORDER BY started_at DESC LIMIT 100000")) {
            s.setLong(1, since);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    byProvider
                            .computeIfAbsent(rs.getString(1), p -> new ArrayList<>())
                            .add(rs.getLong(2));
                }
            }
        }
        ArrayNode out = json.createArrayNode();
        byProvider.forEach((p, l) -> {
            l.sort(null);
            out.addObject()
                    .put("provider", p)
                    .put("calls", l.size())
                    .put("p50", pct(l, 0.50))
                    .put("p95", pct(l, 0.95));
        });
        return out;
    }

    private static long pct(List<Long> sorted, double q) {
        return sorted.get(Math.min(
                sorted.size() - 1,
                (int) Math.ceil(q * sorted.size()) - 1 < 0 ? 0 : (int) Math.ceil(q * sorted.size()) - 1));
    }

    /** Every batch with its items counted by status. */
    public ArrayNode batches(int limit) {
        return db.read(c -> rows(
                c,
                "SELECT batch_id, COUNT(*) AS total, "
                        + "SUM(CASE WHEN status = 'SUCCEEDED' THEN 1 ELSE 0 END) AS succeeded, "
                        + "SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failed, "
                        + "SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END) AS pending, "
                        + "MIN(submitted_at) AS first_at, MAX(completed_at) AS last_at "
                        + "FROM jobs WHERE batch_id IS NOT NULL GROUP BY batch_id ORDER BY MIN(submitted_at) DESC LIMIT "
                        + Math.max(1, Math.min(limit, 500)),
                List.of()));
    }

    public ArrayNode webhooks(String state, int limit) {
        String where = state == null || state.isBlank() ? "" : " WHERE state = ?";
        return db.read(c -> rows(
                c,
                "SELECT * FROM webhooks" + where + " ORDER BY updated_at DESC LIMIT "
                        + Math.max(1, Math.min(limit, 500)),
                where.isEmpty() ? List.of() : List.of(state)));
    }

    public ArrayNode deadLetters(int limit) {
        return db.read(c -> rows(
                c, "SELECT * FROM deadletters ORDER BY at DESC LIMIT " + Math.max(1, Math.min(limit, 500)), List.of()));
    }

    /** Rows counted per table, for health and tests. */
    public Map<String, Long> counts() {
        return db.read(c -> {
            Map<String, Long> out = new HashMap<>();
            for (String t : List.of("jobs", "attempts", "webhooks", "deadletters", "provider_status")) {
                try (var s = c.createStatement();
                        var rs = s.executeQuery("SELECT COUNT(*) FROM " + t)) {
                    rs.next();
                    out.put(t, rs.getLong(1));
                }
            }
            return out;
        });
    }

    /** Every row of a table in key order, as text: tests compare a rebuilt store with a live one through it. */
    public List<String> dump(String table) {
        String order = switch (table) {
            case "jobs", "webhooks" -> "job_id";
            case "attempts" -> "job_id, generation, hop, attempt";
            case "deadletters" -> "topic, part, record_offset";
            default -> throw new IllegalArgumentException(table);
        };
        return db.read(c -> {
            List<String> out = new ArrayList<>();
            for (var n : rows(c, "SELECT * FROM " + table + " ORDER BY " + order, List.of())) {
                out.add(n.toString());
            }
            return out;
        });
    }

    private ArrayNode rows(Connection c, String sql, List<Object> args) throws SQLException {
        ArrayNode out = json.createArrayNode();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, args);
            try (ResultSet rs = s.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                int n = md.getColumnCount();
                while (rs.next()) {
                    ObjectNode row = out.addObject();
                    for (int i = 1; i <= n; i++) {
                        put(row, md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs, i, md.getColumnType(i));
                    }
                }
            }
        }
        return out;
    }

    private void put(ObjectNode row, String name, ResultSet rs, int i, int type) throws SQLException {
        Object v = rs.getObject(i);
        if (v == null) {
            row.putNull(name);
        } else if (JSON_COLUMNS.contains(name)) {
            try {
                row.set(name, json.readTree(v.toString()));
            } catch (IOException e) {
                row.put(name, v.toString());
            }
        } else if (v instanceof Number num && type != Types.VARCHAR) {
            if (v instanceof Double || v instanceof Float) {
                row.put(name, num.doubleValue());
            } else {
                row.put(name, num.longValue());
            }
        } else {
            row.put(name, v.toString());
        }
    }

    private static void bind(PreparedStatement s, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            if (a instanceof Long l) {
                s.setLong(i + 1, l);
            } else if (a instanceof Integer n) {
                s.setInt(i + 1, n);
            } else {
                s.setString(i + 1, a.toString());
            }
        }
    }
}
