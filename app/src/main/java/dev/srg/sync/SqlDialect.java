package dev.srg.sync;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/** What differs between PostgreSQL and MySQL/MariaDB for a sync: URLs, quoting, upserts. */
enum SqlDialect {
    POSTGRESQL('"') {
        @Override
        String url(String host, int port, String database) {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        @Override
        void properties(Properties p) {
            p.setProperty("reWriteBatchedInserts", "true"); // one multi-row INSERT per batch
            p.setProperty("ApplicationName", "srg-sync");
            p.setProperty("connectTimeout", "10"); // seconds: an unreachable database fails the sync soon, saying so
        }

        @Override
        String write(String table, List<String> columns, String mode, List<String> keys) {
            String insert = insert("INSERT", table, columns);
            if (mode.equals("insert")) {
                return insert;
            }
            List<String> others = columns.stream().filter(c -> !keys.contains(c)).toList();
            String conflict = " ON CONFLICT (" + keys.stream().map(this::quote).collect(Collectors.joining(", ")) + ")";
            return others.isEmpty() ? insert + conflict + " DO NOTHING" : insert + conflict + " DO UPDATE SET "
                    + others.stream().map(c -> quote(c) + " = EXCLUDED." + quote(c)).collect(Collectors.joining(", "));
        }
    },
    MYSQL('`') {
        @Override
        String url(String host, int port, String database) {
            return "jdbc:mariadb://" + host + ":" + port + "/" + database;
        }

        @Override
        void properties(Properties p) {
            p.setProperty("useBulkStmts", "true");
            p.setProperty("connectionAttributes", "program_name:srg-sync");
            p.setProperty("connectTimeout", "10000"); // milliseconds
        }

        @Override
        String write(String table, List<String> columns, String mode, List<String> keys) {
            return switch (mode) {
                case "replace" -> insert("REPLACE", table, columns);
                case "update" -> insert("INSERT", table, columns) + " ON DUPLICATE KEY UPDATE "
                        + columns.stream().map(c -> quote(c) + " = VALUES(" + quote(c) + ")").collect(Collectors.joining(", "));
                default -> insert("INSERT", table, columns);
            };
        }
    };

    private final char quote;

    SqlDialect(char quote) {
        this.quote = quote;
    }

    static SqlDialect of(String dataSourceType) {
        return dataSourceType.equals("MYSQL") ? MYSQL : POSTGRESQL;
    }

    abstract String url(String host, int port, String database);

    abstract void properties(Properties p);

    /** The statement that writes one row in {@code mode} (insert, replace, update); {@code keys} for upserts. */
    abstract String write(String table, List<String> columns, String mode, List<String> keys);

    String quote(String identifier) {
        return quote + identifier + quote;
    }

    /** {@code schema.table} quoted part by part (names are checked by {@link SyncJob}). */
    String table(String name) {
        int dot = name.indexOf('.');
        return dot < 0 ? quote(name) : quote(name.substring(0, dot)) + "." + quote(name.substring(dot + 1));
    }

    String columns(List<String> columns) {
        return columns.stream().map(this::quote).collect(Collectors.joining(", "));
    }

    String insert(String verb, String table, List<String> columns) {
        return verb + " INTO " + table(table) + " (" + columns(columns) + ") VALUES ("
                + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")";
    }

    /** A connection from the job's connection block; the password only in the properties, never in the URL. */
    static Connection connect(Map<String, Object> c) throws SQLException {
        return connect(c, false);
    }

    /**
     * As {@link #connect(Map)}; a {@code streaming} connection reads a split's rows. On PostgreSQL it
     * asks for the rows in the binary format from the first execution (a split's query runs once):
     * the server need not print timestamps and numerics as text nor the driver parse them back,
     * which was a large share of both sides' CPU (docs/benchmarks.md, the sync profile).
     */
    static Connection connect(Map<String, Object> c, boolean streaming) throws SQLException {
        SqlDialect d = of((String) c.get("type"));
        Properties p = new Properties();
        if (streaming && d == POSTGRESQL) {
            p.setProperty("prepareThreshold", "-1");
        }
        p.setProperty("user", (String) c.get("user"));
        if (c.get("password") != null) {
            p.setProperty("password", (String) c.get("password"));
        }
        d.properties(p);
        return DriverManager.getConnection(d.url((String) c.get("host"), ((Number) c.get("port")).intValue(),
                (String) c.get("database")), p);
    }
}
