package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestMariaDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The {@code mysql} reader and writer against a real MariaDB (Debian's mariadbd, started by the
 * test), paired with every reader and writer: PostgreSQL, MariaDB and CSV files. Every type
 * (integers, numeric with precision, float, Unicode text, dates, timestamps with and without a
 * zone, booleans, binary, NULL) goes through each pair; values a column cannot take are dirty.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SyncMariaDbTest extends SyncTestBase {
    private static final String PG_TYPES = """
            id bigint PRIMARY KEY, small smallint, n integer, amount numeric(12,3), ratio double precision, label text,
            code varchar(20), day date, at timestamp, at_tz timestamptz, flag boolean, bin bytea""";
    /** The same columns in MariaDB: TIMESTAMP holds an instant (in the session's zone, UTC here), DATETIME a wall-clock time. */
    private static final String MY_TYPES = """
            id bigint PRIMARY KEY, small smallint, n int, amount decimal(12,3), ratio double, label text,
            code varchar(20), day date, at datetime(6), at_tz timestamp(6) NULL, flag boolean, bin varbinary(100)""";
    private static final List<String> COLUMNS = List.of("id", "small", "n", "amount", "ratio", "label", "code", "day", "at",
            "at_tz", "flag", "bin");
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static TestMariaDb maria;
    private static TestDatabases.Fresh pg;
    private static Path dir;

    @BeforeAll
    static void servers() throws Exception {
        assumeThat(TestMariaDb.available()).as("mariadb-server (Debian's package) is installed").isTrue();
        // SPEC DI-8: on the test host inside the group's VPC when the network is enforced (root), else on loopback
        maria = inVpc ? SyncTestHosts.mariadb() : TestMariaDb.start();
        pg = postgresSource("pg");
        sql(pg, "CREATE TABLE src (" + PG_TYPES + ")",
                "INSERT INTO src VALUES (1, -32768, 2147483647, 123456789.125, 1.5e300, 'héllo wörld 中文 😀', 'abc',"
                        + " '2024-02-29', '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.5+05:30', true, '\\x00ff10')",
                "INSERT INTO src VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                "INSERT INTO src SELECT g, g % 1000, g, g / 7.0, g * 0.5, 'row ' || g, 'c' || g, date '2000-01-01' + g,"
                        + " timestamp '2000-01-01' + g * interval '1 minute', timestamptz '2000-01-01 00:00+00' + g * interval '1 second',"
                        + " g % 2 = 0, int4send(g) FROM generate_series(3, 2000) g");
        dir = dev.srg.testing.TaskReachableDirectories.create("srg-mycsv-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        var r = admin.post("data-sources", Map.of("name", "myfiles", "workspaceId", workspaceId, "type", "CSV", "path", dir.toString()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        if (maria != null && !inVpc) {
            maria.close(); // the test host's server is shared by the test classes and stopped with the JVM
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A fresh MariaDB database with a data source of the workspace; its name. */
    private static String mariaSource(String... statements) throws Exception {
        String name = "my" + NAMES.incrementAndGet();
        maria.createDatabase(name);
        Map<String, Object> body = new HashMap<>();
        body.put("name", name);
        body.put("workspaceId", workspaceId);
        body.put("type", "MYSQL");
        body.put("host", maria.host());
        body.put("port", maria.port());
        body.put("database", name);
        body.put("user", maria.user());
        body.put("password", maria.password());
        var r = admin.post("data-sources", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        try (Connection c = maria.connect(name); var st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
        return name;
    }

    private static Map<String, Object> side(String plugin, String ds, String table, boolean reader, Map<String, Object> extra) {
        Map<String, Object> p = new HashMap<>(Map.of("datasource", ds, "column", COLUMNS));
        if (plugin.equals("txtfile")) {
            p.put("path", table);
            p.put("header", true);
        } else {
            p.put("table", table);
            if (reader) {
                p.put("splitPk", "id");
            }
        }
        p.putAll(extra);
        return Map.of("plugin", plugin, "parameter", p);
    }

    private static JsonNode sync(Map<String, Object> reader, Map<String, Object> writer, int errorLimit, String expected) {
        Map<String, Object> job = Map.of("setting", Map.of("speed", Map.of("channel", 2), "errorLimit", Map.of("record", errorLimit)),
                "reader", reader, "writer", writer);
        var r = admin.post("instances", task(job, 1));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo(expected);
        return done;
    }

    /** The rows as values a person compares: numbers as text, instants in UTC, bytes in hex. */
    private static List<List<String>> rows(Connection c, String table, boolean mysql) throws Exception {
        String tz = mysql ? "DATE_FORMAT(at_tz, '%Y-%m-%d %H:%i:%s.%f')" : "to_char(at_tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
        String at = mysql ? "DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f')" : "to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')";
        String sql = "SELECT id, small, n, amount, ratio, label, code, day, " + at + ", " + tz + ", flag, bin FROM " + table + " ORDER BY id";
        List<List<String>> out = new ArrayList<>();
        try (c; var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= COLUMNS.size(); i++) {
                    Object v = i == 11 ? (rs.getObject(i) == null ? null : rs.getBoolean(i)) : rs.getObject(i);
                    row.add(v == null ? null : v instanceof byte[] b ? HexFormat.of().formatHex(b)
                            : v instanceof java.math.BigDecimal d ? d.toPlainString() : v.toString());
                }
                out.add(row);
            }
        }
        return out;
    }

    private static List<List<String>> pgRows(String table) throws Exception {
        return rows(connect(pg), table, false);
    }

    private static List<List<String>> myRows(String db, String table) throws Exception {
        return rows(maria.connect(db), table, true);
    }

    @Test
    @DisplayName("PostgreSQL -> MariaDB -> MariaDB -> CSV -> MariaDB -> PostgreSQL: every type the same at every step")
    void everyPairKeepsEveryType() throws Exception {
        // SPEC DI-2, SPEC DI-4: each pair with a mysql side, every type, NULLs and Unicode
        String a = mariaSource("CREATE TABLE t (" + MY_TYPES + ")");
        String b = mariaSource("CREATE TABLE t (" + MY_TYPES + ")", "CREATE TABLE back (" + MY_TYPES + ")");
        List<List<String>> expected = pgRows("src");
        sync(side("postgresql", "pg", "src", true, Map.of()), side("mysql", a, "t", false, Map.of()), 0, "SUCCEEDED");
        assertThat(myRows(a, "t")).isEqualTo(expected);
        sync(side("mysql", a, "t", true, Map.of()), side("mysql", b, "t", false, Map.of("batchSize", 300)), 0, "SUCCEEDED");
        assertThat(myRows(b, "t")).isEqualTo(expected);
        sync(side("mysql", b, "t", true, Map.of()), side("txtfile", "myfiles", "from-maria.csv", false, Map.of()), 0, "SUCCEEDED");
        sync(side("txtfile", "myfiles", "from-maria.csv", true, Map.of()), side("mysql", b, "back", false, Map.of()), 0, "SUCCEEDED");
        assertThat(myRows(b, "back")).isEqualTo(expected);
        sql(pg, "CREATE TABLE from_maria (" + PG_TYPES + ")");
        JsonNode last = sync(side("mysql", b, "back", true, Map.of()), side("postgresql", "pg", "from_maria", false, Map.of()), 0,
                "SUCCEEDED");
        assertThat(pgRows("from_maria")).isEqualTo(expected);
        assertThat(last.path("progress").path("recordsWritten").asLong()).isEqualTo(2000);
    }

    @Test
    @DisplayName("writeMode insert, replace and update on MariaDB; a duplicate key under insert is a dirty record")
    void writeModes() throws Exception {
        // SPEC DI-2 (writeMode), SPEC DI-4 (the writer's refusal kept with its message)
        String db = mariaSource("CREATE TABLE kv (id bigint PRIMARY KEY, v varchar(20), note varchar(20))",
                "INSERT INTO kv VALUES (1, 'old', 'keep'), (2, 'old', 'keep')");
        sql(pg, "CREATE TABLE kv_src (id bigint PRIMARY KEY, v text)", "INSERT INTO kv_src VALUES (1, 'new'), (2, 'new'), (3, 'new')");
        Map<String, Object> reader = Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg", "table", "kv_src",
                "column", List.of("id", "v"), "splitPk", "id"));
        java.util.function.Function<String, Map<String, Object>> writer = mode -> Map.of("plugin", "mysql", "parameter",
                Map.of("datasource", db, "table", "kv", "column", List.of("id", "v"), "writeMode", mode));
        JsonNode insert = sync(reader, writer.apply("insert"), 5, "SUCCEEDED");
        assertThat(insert.path("progress").path("dirtyRecords").asLong()).isEqualTo(2);
        JsonNode dirty = admin.get("instances/" + insert.get("id").asString() + "/dirty-records").json();
        assertThat(dirty.get("items").get(0).get("reason").asString()).contains("refused").containsIgnoringCase("duplicate");
        assertThat(kv(db)).containsExactly("1|old|keep", "2|old|keep", "3|new|null");
        sql(pg, "UPDATE kv_src SET v = 'newer'");
        sync(reader, writer.apply("update"), 0, "SUCCEEDED");
        // update keeps the columns the job does not write
        assertThat(kv(db)).containsExactly("1|newer|keep", "2|newer|keep", "3|newer|null");
        sql(pg, "UPDATE kv_src SET v = 'newest'");
        sync(reader, writer.apply("replace"), 0, "SUCCEEDED");
        // replace is MySQL's REPLACE: the row is deleted and written again, so the other columns are gone
        assertThat(kv(db)).containsExactly("1|newest|null", "2|newest|null", "3|newest|null");
    }

    private static List<String> kv(String db) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = maria.connect(db); var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM kv ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        return out;
    }

    @Test
    @DisplayName("values a MariaDB column cannot take are dirty records with their reasons, never truncated or rounded")
    void dirtyRecordsIntoMariaDb() throws Exception {
        // SPEC DI-4
        String db = mariaSource("CREATE TABLE narrow (id bigint PRIMARY KEY, tiny tinyint, uns int unsigned, price decimal(5,2),"
                + " code varchar(3), day date, flag boolean)");
        sql(pg, "CREATE TABLE wide (id bigint PRIMARY KEY, tiny integer, uns bigint, price numeric, code text, day text, flag text)",
                "INSERT INTO wide VALUES (1, 127, 4294967295, 999.99, 'abc', '2024-01-01', 'true')",
                "INSERT INTO wide VALUES (2, 128, 1, 1, 'a', '2024-01-01', 'false')",
                "INSERT INTO wide VALUES (3, 1, -1, 1, 'a', '2024-01-01', '1')",
                "INSERT INTO wide VALUES (4, 1, 1, 1.005, 'a', '2024-01-01', '0')",
                "INSERT INTO wide VALUES (5, 1, 1, 1000, 'a', '2024-01-01', 't')",
                "INSERT INTO wide VALUES (6, 1, 1, 1, 'abcd', '2024-01-01', 'f')",
                "INSERT INTO wide VALUES (7, 1, 1, 1, '中文😀', '2024-02-30', 'yes')",
                "INSERT INTO wide VALUES (8, 1, 1, 1, '中文😀', '2024-02-29', 'maybe')",
                "INSERT INTO wide VALUES (9, NULL, NULL, NULL, NULL, NULL, NULL)");
        List<String> cols = List.of("id", "tiny", "uns", "price", "code", "day", "flag");
        JsonNode done = sync(Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg", "table", "wide", "column", cols,
                        "splitPk", "id")),
                Map.of("plugin", "mysql", "parameter", Map.of("datasource", db, "table", "narrow", "column", cols)), 10, "SUCCEEDED");
        assertThat(done.path("progress").path("dirtyRecords").asLong()).isEqualTo(7);
        List<String> reasons = new ArrayList<>();
        admin.get("instances/" + done.get("id").asString() + "/dirty-records").json().get("items")
                .forEach(i -> reasons.add(i.get("record").get("id").asLong() + ": " + i.get("reason").asString()));
        reasons.sort(null);
        assertThat(reasons).hasSize(7);
        assertThat(reasons.get(0)).startsWith("2: ").contains("column tiny").contains("out of range");
        assertThat(reasons.get(1)).startsWith("3: ").contains("column uns").contains("out of range");
        assertThat(reasons.get(2)).startsWith("4: ").contains("column price").contains("decimal places");
        assertThat(reasons.get(3)).startsWith("5: ").contains("column price").contains("does not fit");
        assertThat(reasons.get(4)).startsWith("6: ").contains("column code").contains("truncated");
        assertThat(reasons.get(5)).startsWith("7: ").contains("column day");
        assertThat(reasons.get(6)).startsWith("8: ").contains("column flag");
        List<String> kept = new ArrayList<>();
        try (Connection c = maria.connect(db); var st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, tiny, uns, price, code FROM narrow ORDER BY id")) {
            while (rs.next()) {
                kept.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|" + rs.getString(5));
            }
        }
        assertThat(kept).containsExactly("1|127|4294967295|999.99|abc", "9|null|null|null|null");
    }
}
