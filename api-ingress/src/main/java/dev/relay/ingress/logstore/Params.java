package dev.relay.ingress.logstore;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/** Binds a statement's parameters in order, with typed nulls (PostgreSQL needs to know a null's type). */
final class Params {

    private final PreparedStatement s;
    private int i;

    Params(PreparedStatement s) {
        this.s = s;
    }

    Params text(String v) throws SQLException {
        s.setString(++i, v);
        return this;
    }

    Params integer(Integer v) throws SQLException {
        if (v == null) {
            s.setNull(++i, Types.INTEGER);
        } else {
            s.setInt(++i, v);
        }
        return this;
    }

    Params bigint(Long v) throws SQLException {
        if (v == null) {
            s.setNull(++i, Types.BIGINT);
        } else {
            s.setLong(++i, v);
        }
        return this;
    }
}
