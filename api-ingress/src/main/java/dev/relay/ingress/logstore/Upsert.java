package dev.relay.ingress.logstore;

import java.util.ArrayList;
import java.util.List;

/**
 * An {@code INSERT ... ON CONFLICT (key) DO UPDATE SET ...} built from one merge rule per column, in the SQL that
 * SQLite and PostgreSQL share. Every rule reads the stored row as it was before the statement (SQL's UPDATE
 * semantics), so the order of the rules does not matter. Values are bound in the order the columns were added.
 */
final class Upsert {

    private final String table;
    private final String key;
    private final List<String> columns = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private final List<String> sets = new ArrayList<>();

    private Upsert(String table, String key) {
        this.table = table;
        this.key = key;
        columns.add(key);
        values.add("?");
    }

    static Upsert into(String table, String key) {
        return new Upsert(table, key);
    }

    /** The earliest value wins (a null stored value loses). */
    Upsert earliest(String column) {
        return set(
                column,
                "CASE WHEN %1$s.%2$s IS NULL OR excluded.%2$s < %1$s.%2$s THEN excluded.%2$s ELSE %1$s.%2$s END");
    }

    /** The first non-null value wins. */
    Upsert first(String... columns) {
        for (String c : columns) {
            set(c, "COALESCE(%1$s.%2$s, excluded.%2$s)");
        }
        return this;
    }

    /** The incoming value wins when {@code condition} (over {@code excluded} and the stored row) holds. */
    Upsert when(String condition, String... columns) {
        for (String c : columns) {
            set(c, "CASE WHEN " + condition + " THEN excluded.%2$s ELSE %1$s.%2$s END");
        }
        return this;
    }

    /** A bound column whose stored value becomes {@code expression} ({@code %1$s} = the table, {@code %2$s} = it). */
    Upsert set(String column, String expression) {
        return column(column, "?", expression);
    }

    /** A column inserted as the SQL {@code insertValue} (not bound), updated to {@code expression}. */
    Upsert column(String column, String insertValue, String expression) {
        columns.add(column);
        values.add(insertValue);
        sets.add(column + " = " + expression.formatted(table, column));
        return this;
    }

    String sql() {
        return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES (" + String.join(", ", values)
                + ") ON CONFLICT (" + key + ") DO UPDATE SET " + String.join(", ", sets);
    }
}
