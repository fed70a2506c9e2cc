package dev.srg.store;

import static java.util.Objects.requireNonNull;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Independent reads sent to the store in one round trip (issue 17): pgjdbc sends the statements of
 * one prepared statement (';'-separated) together, with one Sync, and answers with a result set for
 * each. Each read keeps its SQL and its mapper in its own feature; the trip only sends them together.
 * The statements run in one implicit transaction of the store, each with its own snapshot (READ
 * COMMITTED), as separate statements would.
 */
public final class OneTrip {
    private OneTrip() {}

    /** One read of at most one row: its SQL (named parameters, bound by the trip) and how its row maps. */
    public record Read<T>(String sql, RowMapper<T> mapper) {
        public Read {
            requireNonNull(sql, "sql is null");
            requireNonNull(mapper, "mapper is null");
            if (sql.strip().endsWith(";")) {
                throw new IllegalArgumentException("a read's SQL ends without ';' (the trip joins them)");
            }
        }
    }

    /** What a trip read, by its reads in their order. */
    public static final class Results {
        private final List<Read<?>> reads;
        private final List<Optional<?>> rows;

        private Results(List<Read<?>> reads, List<Optional<?>> rows) {
            this.reads = reads;
            this.rows = rows;
        }

        /** The row {@code read} found, if any; {@code read} must be one of the trip's. */
        @SuppressWarnings("unchecked")
        public <T> Optional<T> get(Read<T> read) {
            for (int i = 0; i < reads.size(); i++) {
                if (reads.get(i) == read) {
                    return (Optional<T>) rows.get(i);
                }
            }
            throw new IllegalArgumentException("not a read of this trip: " + read.sql());
        }
    }

    /**
     * Runs {@code reads} in one round trip on {@code h}, with {@code params} bound by name in all of
     * them (a null value binds SQL NULL as text).
     */
    public static Results run(Handle h, Map<String, String> params, List<Read<?>> reads) {
        if (reads.isEmpty()) {
            throw new IllegalArgumentException("a trip needs at least one read");
        }
        StringBuilder sql = new StringBuilder();
        for (Read<?> read : reads) {
            if (!sql.isEmpty()) {
                sql.append(";\n");
            }
            sql.append(read.sql());
        }
        Query query = h.createQuery(sql.toString());
        params.forEach((name, value) -> query.bindByType(name, value, String.class));
        List<Optional<?>> rows = query.scanResultSet((first, ctx) -> {
            List<Optional<?>> found = new ArrayList<>(reads.size());
            ResultSet rs = first.get();
            Statement statement = ctx.getStatement();
            for (int i = 0; i < reads.size(); i++) {
                if (i > 0) {
                    if (!statement.getMoreResults()) {
                        throw new SQLException("the trip answered " + i + " result sets for " + reads.size() + " reads");
                    }
                    rs = statement.getResultSet();
                }
                found.add(one(rs, reads.get(i), ctx));
            }
            return found;
        });
        return new Results(List.copyOf(reads), rows);
    }

    private static <T> Optional<T> one(ResultSet rs, Read<T> read, StatementContext ctx) throws SQLException {
        try (rs) {
            if (!rs.next()) {
                return Optional.empty();
            }
            T row = read.mapper().map(rs, ctx);
            if (rs.next()) {
                throw new SQLException("more than one row for a read of one: " + read.sql());
            }
            return Optional.ofNullable(row);
        }
    }
}
