package dev.relay.ingress.logstore;

import java.util.ArrayList;
import java.util.List;

/**
 * The Logs view's filters. Null means "any". {@code failureClass} matches a job with any attempt of that class;
 * {@code metadata} is {@code key=value}; {@code text} searches the stored prompt's words (full-text); {@code before} pages backwards
 * (the submitted-at of the last row seen).
 */
public record JobQuery(
        String status,
        String provider,
        String model,
        String failureClass,
        Integer fallbackIndex,
        Long from,
        Long to,
        String batchId,
        String tenant,
        String metadata,
        String text,
        Long before,
        int limit) {

    public static final int MAX_LIMIT = 500;

    public JobQuery {
        limit = Math.max(1, Math.min(limit, MAX_LIMIT));
    }

    public static JobQuery newest(int limit) {
        return new JobQuery(null, null, null, null, null, null, null, null, null, null, null, null, limit);
    }

    public JobQuery withStatus(String s) {
        return new JobQuery(
                s,
                provider,
                model,
                failureClass,
                fallbackIndex,
                from,
                to,
                batchId,
                tenant,
                metadata,
                text,
                before,
                limit);
    }

    /** The WHERE clause (never empty: "1=1" at least) and its parameters, in order, in SQLite's or PostgreSQL's SQL. */
    Where where(boolean sqlite) {
        List<String> terms = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        terms.add("1=1");
        eq(terms, args, "j.status", status);
        eq(terms, args, "j.provider", provider);
        eq(terms, args, "j.model", model);
        eq(terms, args, "j.batch_id", batchId);
        eq(terms, args, "j.tenant", tenant);
        if (fallbackIndex != null) {
            terms.add("j.fallback_index = ?");
            args.add(fallbackIndex);
        }
        if (failureClass != null) {
            terms.add("EXISTS (SELECT 1 FROM attempts a WHERE a.outcome = ? AND a.job_id = j.job_id)");
            args.add(failureClass);
        }
        if (from != null) {
            terms.add("j.submitted_at >= ?");
            args.add(from);
        }
        if (to != null) {
            terms.add("j.submitted_at < ?");
            args.add(to);
        }
        if (before != null) {
            terms.add("j.submitted_at < ?");
            args.add(before);
        }
        if (metadata != null && metadata.contains("=")) {
            int eq = metadata.indexOf('=');
            String pair = "\"" + jsonEscape(metadata.substring(0, eq).trim()) + "\":\""
                    + jsonEscape(metadata.substring(eq + 1).trim()) + "\"";
            terms.add("j.metadata LIKE ? ESCAPE '\\'");
            args.add("%" + likeEscape(pair) + "%");
        }
        if (text != null && !text.isBlank()) {
            if (sqlite) {
                // every word must occur; each is quoted, so FTS5's query syntax never sees the user's text
                terms.add("j.rowid IN (SELECT rowid FROM prompt_fts WHERE prompt_fts MATCH ?)");
                args.add(String.join(
                        " ",
                        java.util.Arrays.stream(text.trim().split("\\s+"))
                                .map(w -> "\"" + w.replace("\"", "\"\"") + "\"")
                                .toList()));
            } else {
                terms.add("to_tsvector('simple', COALESCE(j.prompt, '')) @@ plainto_tsquery('simple', ?)");
                args.add(text.trim());
            }
        }
        return new Where(String.join(" AND ", terms), args);
    }

    record Where(String sql, List<Object> args) {}

    private static void eq(List<String> terms, List<Object> args, String column, String value) {
        if (value != null && !value.isBlank()) {
            terms.add(column + " = ?");
            args.add(value);
        }
    }

    private static String likeEscape(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
