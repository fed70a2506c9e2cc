package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.testing.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** Batch sync PostgreSQL -> PostgreSQL through the real server, a real worker process and real databases. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SyncPostgresTest extends SyncTestBase {
    private static final String TYPES = """
            id bigint PRIMARY KEY, small smallint, n integer, amount numeric(12,3), ratio double precision, label text,
            code varchar(20), day date, at timestamp, at_tz timestamptz, flag boolean, blob bytea""";
    private static final List<String> COLUMNS = List.of("id", "small", "n", "amount", "ratio", "label", "code", "day", "at",
            "at_tz", "flag", "blob");

    private static Map<String, Object> job(String from, String to, int channel) {
        return Map.of(
                "setting", Map.of("speed", Map.of("channel", channel), "errorLimit", Map.of("record", 0)),
                "reader", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", from, "table", List.of("src"),
                        "column", COLUMNS, "splitPk", "id")),
                "writer", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", to, "table", List.of("dst"),
                        "column", COLUMNS, "writeMode", "insert", "batchSize", 500)));
    }

    private static List<List<Object>> rows(TestDatabases.Fresh db, String table) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        try (Connection c = connect(db); var st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + String.join(", ", COLUMNS) + ", at_tz::text FROM " + table + " ORDER BY id")) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= COLUMNS.size() + 1; i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : v);
                }
                out.add(row);
            }
        }
        return out;
    }

    @Test
    @DisplayName("every type, NULLs and Unicode copied faithfully across 4 channels; splits, records and bytes in the progress")
    void copiesEveryTypeFaithfully() throws Exception {
        // SPEC DI-2, SPEC DI-3, SPEC DI-5
        TestDatabases.Fresh src = postgresSource("pg-src-1");
        TestDatabases.Fresh dst = postgresSource("pg-dst-1");
        sql(src, "CREATE TABLE src (" + TYPES + ")",
                "INSERT INTO src VALUES (1, -32768, 2147483647, 123456789.125, 1.5e300, 'héllo wörld 中文 😀', 'abc',"
                        + " '2024-02-29', '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.5+05:30', true, '\\x00ff10')",
                "INSERT INTO src VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                "INSERT INTO src SELECT g, g % 1000, g, g / 7.0, g * 0.5, 'row ' || g, 'c' || g, date '2000-01-01' + g,"
                        + " timestamp '2000-01-01' + g * interval '1 minute', timestamptz '2000-01-01 00:00+00' + g * interval '1 second',"
                        + " g % 2 = 0, int4send(g) FROM generate_series(3, 20000) g");
        sql(dst, "CREATE TABLE dst (" + TYPES + ")");
        var r = admin.post("instances", task(job("pg-src-1", "pg-dst-1", 4), 2));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("usageType").asString()).isEqualTo("DATA_INTEGRATION");
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo("SUCCEEDED");
        assertThat(rows(dst, "dst")).isEqualTo(rows(src, "src"));
        String log = log(r.id());
        assertThat(log).contains("4 channel(s)").contains("[srg-sync] finished");
        // SPEC DI-5: the totals stay on the finished instance
        JsonNode progress = done.path("progress");
        assertThat(progress.path("recordsRead").asLong()).as(done.toString()).isEqualTo(20000);
        assertThat(progress.path("recordsWritten").asLong()).isEqualTo(20000);
        assertThat(progress.path("bytesRead").asLong()).isPositive();
        assertThat(progress.path("dirtyRecords").asLong()).isZero();
        assertThat(progress.path("splitsTotal").asLong()).isPositive();
        assertThat(progress.path("splitsDone").asLong()).isEqualTo(progress.path("splitsTotal").asLong());
        // SPEC DI-8, RT-3: the sync ran inside the group's enforced network (where root can build one), and the instance says so
        assertThat(done.path("enforcement").path("network").path("enforced").asBoolean()).isEqualTo(inVpc);
    }

    @Test
    @DisplayName("a string splitPk splits by sampled quantiles: non-ASCII keys, duplicates and NULL keys, every row read once")
    void stringSplitKey() throws Exception {
        // SPEC DI-3
        TestDatabases.Fresh src = postgresSource("pg-src-5");
        TestDatabases.Fresh dst = postgresSource("pg-dst-5");
        sql(src, "CREATE TABLE src (k text, v integer)",
                "INSERT INTO src SELECT 'key ' || (g % 2500), g FROM generate_series(1, 5000) g", // every key twice
                "INSERT INTO src VALUES ('é', 1), ('ü', 2), ('中文', 3), ('😀', 4), ('Ωmega', 5), ('', 6), ('zzz', 7), ('ÄÖÜ', 8)",
                "INSERT INTO src SELECT NULL, g FROM generate_series(1, 10) g");
        sql(dst, "CREATE TABLE dst (k text, v integer)");
        Map<String, Object> job = Map.of(
                "setting", Map.of("speed", Map.of("channel", 2)),
                "reader", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg-src-5", "table", "src",
                        "column", List.of("k", "v"), "splitPk", "k")),
                "writer", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg-dst-5", "table", "dst",
                        "column", List.of("k", "v"))));
        var r = admin.post("instances", task(job, 1));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo("SUCCEEDED");
        // 8 parts of the keys and the NULLs' split
        assertThat(done.path("progress").path("splitsTotal").asLong()).isEqualTo(9);
        String all = "SELECT coalesce(k, '<null>') || '/' || v FROM %s ORDER BY 1";
        assertThat(strings(dst, all.formatted("dst"))).hasSize(5018).isEqualTo(strings(src, all.formatted("src")));
    }

    private static List<String> strings(TestDatabases.Fresh db, String query) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(db); var st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    @DisplayName("a sync to a database outside the group's VPCs and routes is refused by the network, and the instance says why")
    void databaseOutsideTheVpcIsRefused() throws Exception {
        // SPEC DI-8: the same server answers at an address inside the VPC and one outside every VPC and route
        assumeThat(inVpc).as("needs root: network namespaces and nftables").isTrue();
        TestDatabases.Fresh src = postgresSource("pg-src-4");
        TestDatabases.Fresh inside = postgresSource("pg-dst-4");
        sql(src, "CREATE TABLE src (" + TYPES + ")", "INSERT INTO src (id, label) SELECT g, 'x' FROM generate_series(1, 10) g");
        sql(inside, "CREATE TABLE dst (" + TYPES + ")");
        dataSource("pg-outside-4", new TestDatabases.Fresh(inside.url().replace(SyncTestHosts.DB, SyncTestHosts.OUTSIDE),
                inside.user(), inside.password()));
        // the test (on the host) reaches the database at the outside address: only the task's network refuses it
        try (Connection c = java.sql.DriverManager.getConnection(inside.url().replace(SyncTestHosts.DB, SyncTestHosts.OUTSIDE),
                inside.user(), inside.password())) {
            assertThat(c.isValid(5)).isTrue();
        }
        var refused = admin.post("instances", task(job("pg-src-4", "pg-outside-4", 1), 0.5));
        JsonNode failed = awaitFinished(refused.id());
        assertThat(failed.get("status").asString()).as(log(refused.id())).isEqualTo("FAILED");
        String reason = failed.path("progress").path("reason").asString();
        assertThat(reason).as(failed.toString()).contains("writer").contains(SyncTestHosts.OUTSIDE)
                .contains("not in a bound VPC or a route");
        assertThat(failed.path("enforcement").path("network").path("enforced").asBoolean()).isTrue();
        // the same job into the same database at its address inside the VPC
        var ok = admin.post("instances", task(job("pg-src-4", "pg-dst-4", 1), 0.5));
        assertThat(awaitFinished(ok.id()).get("status").asString()).as(log(ok.id())).isEqualTo("SUCCEEDED");
        assertThat(rows(inside, "dst")).hasSize(10);
    }

    @Test
    @DisplayName("channels are bounded by the CU: 0.5 CU runs one channel whatever setting.speed.channel asks")
    void channelsBoundedByCu() throws Exception {
        // SPEC DI-3
        TestDatabases.Fresh src = postgresSource("pg-src-2");
        TestDatabases.Fresh dst = postgresSource("pg-dst-2");
        sql(src, "CREATE TABLE src (" + TYPES + ")", "INSERT INTO src (id, label) SELECT g, 'x' FROM generate_series(1, 100) g");
        sql(dst, "CREATE TABLE dst (" + TYPES + ")");
        var r = admin.post("instances", task(job("pg-src-2", "pg-dst-2", 8), 0.5));
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo("SUCCEEDED");
        assertThat(log(r.id())).contains("1 channel(s)");
        assertThat(rows(dst, "dst")).hasSize(100);
    }

    @Test
    @DisplayName("a connectivity test by dataSourceId: a real connection from the group's network, a CSV directory as the task's user sees it")
    void connectivityTestOfADataSource() throws Exception {
        // SPEC DI-1, DI-8
        postgresSource("pg-ct-in");
        var in = admin.get("data-sources?workspaceId=" + workspaceId).json();
        String inId = null;
        for (JsonNode d : in.get("items")) {
            if (d.get("name").asString().equals("pg-ct-in")) {
                inId = d.get("id").asString();
            }
        }
        JsonNode ok = connectivity(Map.of("dataSourceId", inId), 200);
        assertThat(ok.get("reachable").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.get("path").asString()).isEqualTo(inVpc ? "VPC" : "NONE");
        if (inVpc) {
            String outId = admin.post("data-sources", Map.of("name", "pg-ct-out", "workspaceId", workspaceId, "type", "POSTGRESQL",
                    "host", SyncTestHosts.OUTSIDE, "port", 5432, "database", "postgres", "user", "x", "password", "y")).id();
            JsonNode out = connectivity(Map.of("dataSourceId", outId), 200);
            assertThat(out.get("reachable").asBoolean()).as(out.toString()).isFalse();
            assertThat(out.get("path").asString()).isEqualTo("NONE");
            assertThat(out.get("reason").asString()).contains("not in a bound VPC or a route");
        }
        java.nio.file.Path open = dev.srg.testing.TaskReachableDirectories.create("srg-ct-");
        java.nio.file.Path closed = dev.srg.testing.TaskReachableDirectories.create("srg-ct-");
        try {
            java.nio.file.Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            java.nio.file.Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            String openId = admin.post("data-sources", Map.of("name", "csv-open", "workspaceId", workspaceId, "type", "CSV",
                    "path", open.toString())).id();
            String closedId = admin.post("data-sources", Map.of("name", "csv-closed", "workspaceId", workspaceId, "type", "CSV",
                    "path", closed.toString())).id();
            String missingId = admin.post("data-sources", Map.of("name", "csv-missing", "workspaceId", workspaceId, "type", "CSV",
                    "path", open + "/nope")).id();
            JsonNode csv = connectivity(Map.of("dataSourceId", openId), 200);
            assertThat(csv.get("reachable").asBoolean()).as(csv.toString()).isTrue();
            JsonNode denied = connectivity(Map.of("dataSourceId", closedId), 200);
            assertThat(denied.get("reachable").asBoolean()).as(denied.toString()).isFalse();
            assertThat(denied.get("reason").asString()).contains("may not read it");
            JsonNode missing = connectivity(Map.of("dataSourceId", missingId), 200);
            assertThat(missing.get("reachable").asBoolean()).isFalse();
            assertThat(missing.get("reason").asString()).contains("does not exist");
            // only those who may use the data source: a stranger gets 404, as if it did not exist
            var stranger = fx.user("ResourceGroupFullAccess");
            var r = stranger.http().post("resource-groups/" + groupId + "/connectivity-tests", Map.of("dataSourceId", openId));
            assertThat(r.status()).as(r.toString()).isEqualTo(404);
            var both = admin.post("resource-groups/" + groupId + "/connectivity-tests", Map.of("dataSourceId", openId, "host", "x",
                    "port", 1));
            assertThat(both.status()).isEqualTo(400);
            assertThat(both.field()).isEqualTo("host");
        } finally {
            java.nio.file.Files.deleteIfExists(closed);
            java.nio.file.Files.deleteIfExists(open);
        }
    }

    private static JsonNode connectivity(Map<String, Object> body, int status) {
        var r = admin.post("resource-groups/" + groupId + "/connectivity-tests", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        return r.json();
    }
}
