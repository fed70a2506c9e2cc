package dev.srg.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.store.Database;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Upgrades (docs/upgrading.md). A database an older srg filled is taken over by this one: its
 * schema made by the migrations up to that version (Flyway's target; the files never change,
 * Flyway's checksums see to that), then the rows that older srg's own server wrote through its
 * API ({@code upgrade/<version>/rows.sql}, generated from its database, with its administrator's
 * and a user's token and its data-source key). A future migration that breaks existing rows, or a
 * start that cannot read them, fails here. The other direction: an older server on a newer
 * database refuses, changing nothing.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class UpgradeTest {

    /** The fixtures kept: the version each was written at (the oldest first). */
    private static final List<String> FIXTURES = List.of("39.1");

    @Test
    void anOlderSrgsDatabaseIsTakenOverWithEveryRowAndSecret() throws Exception {
        for (String version : FIXTURES) {
            upgradeFrom(version);
        }
    }

    private void upgradeFrom(String version) throws Exception {
        String base = "/upgrade/" + version + "/";
        TestDatabases.Fresh db = TestDatabases.fresh();
        Flyway.configure().dataSource(db.url(), db.user(), db.password()).locations("classpath:db/migration")
                .target(version).loggers("slf4j").load().migrate();
        String rows = resource(base + "rows.sql");
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement()) {
            s.execute(rows);
        }
        Map<String, Long> before = counts(db);
        assertThat(before.get("users")).as("the fixture's users").isGreaterThanOrEqualTo(2);

        Path dir = TestDatabases.dataDirectory("srg-upgrade");
        Files.writeString(dir.resolve("admin.token"), resource(base + "admin.token"));
        Path key = dir.resolve("datasource.key");
        Files.writeString(key, resource(base + "datasource.key"));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        // the start checks that this key opens the stored secrets (the older database has no check value yet)
        try (SrgServer server = SrgServer.start(ServerConfig.forDatabase(dir, db.url(), db.user(), db.password()))) {
            String url = "http://127.0.0.1:" + server.port();
            TestHttp admin = new TestHttp(url, resource(base + "admin.token").strip());
            TestHttp alice = new TestHttp(url, resource(base + "alice.token").strip());

            Map<String, Long> after = counts(db);
            for (String table : List.of("users", "tokens", "workspaces", "workspace_members", "resource_groups",
                    "resource_group_networks", "vpcs", "vswitches", "private_zones", "private_zone_records",
                    "data_sources", "ds_api_groups", "ds_apis", "ds_api_versions", "ds_apps", "ds_grants", "budgets",
                    "alert_rules", "orders", "instances", "bill_lines", "usage_points", "audit_events")) {
                assertThat(after.get(table)).as(version + ": the rows of " + table + " are all there").isGreaterThanOrEqualTo(before.get(table));
            }
            assertThat(alice.get("/api/v1/users").status()).as(version + ": a user's token still signs in").isEqualTo(200);
            var users = admin.get("/api/v1/users");
            assertThat(users.status()).isEqualTo(200);
            assertThat(users.text()).contains("\"alice\"");
            var groups = admin.get("/api/v1/resource-groups").json().get("items");
            assertThat(groups).hasSize(2);
            groups.forEach(g -> assertThat(g.get("status").asString()).isEqualTo("RUNNING"));
            var instances = admin.get("/api/v1/instances?pageSize=1000").json().get("items");
            assertThat(instances).hasSizeGreaterThanOrEqualTo(before.get("instances").intValue());
            long succeeded = 0;
            for (var i : instances) {
                succeeded += "SUCCEEDED".equals(i.get("status").asString()) ? 1 : 0;
            }
            assertThat(succeeded).as(version + ": the finished task and sync").isGreaterThanOrEqualTo(2);
            var apis = admin.get("/api/v1/dataservice/apis").json().get("items");
            assertThat(apis).hasSize(1);
            assertThat(apis.get(0).toString()).contains("PUBLISHED");
            assertThat(admin.get("/api/v1/budgets").json().get("items")).hasSize(1);
            assertThat(admin.get("/api/v1/alert-rules").json().get("items")).hasSize(1);
            assertThat(admin.get("/api/v1/data-sources").json().get("items")).hasSize(2);
            assertThat(admin.get("/api/v1/orders").json().get("items")).hasSizeGreaterThanOrEqualTo(2);
            // the tasks that ran under the older server are this one's now: none is left holding CU for good
            for (var i : instances) {
                String status = i.get("status").asString();
                if (status.equals("RUNNING") || status.equals("QUEUED") || status.equals("STARTING")) {
                    admin.post("/api/v1/instances/" + i.get("id").asString() + "/cancel", Map.of());
                }
            }
            org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> {
                for (var g : admin.get("/api/v1/resource-groups").json().get("items")) {
                    var usage = admin.get("/api/v1/resource-groups/" + g.get("id").asString() + "/usage").json();
                    assertThat(usage.get("byUsageType").get("SCHEDULING").get("usedCu").asDouble())
                            .as(version + ": the cancelled tasks' CU given back").isZero();
                }
            });
        }
    }

    @Test
    void aServerOlderThanTheDatabaseRefusesToStartAndChangesNothing() throws Exception {
        TestDatabases.Fresh db = TestDatabases.fresh();
        Database.open(db.url(), db.user(), db.password(), 2).close();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement()) {
            // a newer srg migrated the database
            s.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
                    + " installed_by, execution_time, success) SELECT max(installed_rank) + 1, '999.1', 'future', 'SQL',"
                    + " 'V999_1__future.sql', 1, 'srg', 0, true FROM flyway_schema_history");
            Map<String, Long> before = counts(db);
            assertThatThrownBy(() -> Database.open(db.url(), db.user(), db.password(), 2))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the database's schema is at version 999.1, newer than this srg's")
                    .hasMessageContaining("Nothing was changed");
            assertThat(counts(db)).isEqualTo(before);
        }
    }

    @Test
    void theDatabaseRefusesAServerFromBeforeUpgradesWereChecked() throws Exception {
        TestDatabases.Fresh db = TestDatabases.fresh();
        try (Database current = Database.open(db.url(), db.user(), db.password(), 2)) {
            // this server's own connections say what they know: registered and fenced writes go through
            try (Connection c = current.openDedicated("srg/srv-now/run-1"); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO cluster_servers (id, address, started_at, last_seen_at) VALUES"
                        + " ('srv-now', 'http://a', now(), now())");
                s.executeUpdate("UPDATE instances SET status = status WHERE false");
            }
            current.jdbi().useHandle(h -> h.execute("UPDATE instances SET status = status WHERE false"));

            // a server from before V42_2 names its connections 'srg/<server>/<run>' and says no schema
            Properties old = new Properties();
            old.setProperty("user", db.user());
            old.setProperty("password", db.password());
            old.setProperty("ApplicationName", "srg/srv-old/run-2");
            try (Connection c = DriverManager.getConnection(db.url(), old); Statement s = c.createStatement()) {
                for (String write : List.of(
                        "INSERT INTO cluster_servers (id, address, started_at, last_seen_at) VALUES ('srv-old', 'http://b', now(), now())",
                        "UPDATE cluster_lease SET expires_at = expires_at",
                        "UPDATE instances SET status = status WHERE false",
                        "UPDATE orders SET currency = currency WHERE false",
                        "UPDATE users SET name = name WHERE false",
                        "DELETE FROM tokens WHERE false")) {
                    assertThatThrownBy(() -> s.executeUpdate(write)).as(write)
                            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("SRG02"))
                            .hasMessageContaining("upgraded by a newer srg");
                }
            }
            // a server that knows an older schema than the database's (still running while a newer one migrated it)
            try (Connection c = DriverManager.getConnection(db.url(), old); Statement s = c.createStatement()) {
                s.execute("SELECT set_config('srg.schema', '41.4', false)");
                assertThatThrownBy(() -> s.executeUpdate("UPDATE cluster_servers SET last_seen_at = now()"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("SRG02"))
                        .hasMessageContaining("newer than this srg's (41.4)");
            }
            // tools (psql, an operator's script) are not servers: untouched
            Properties tool = new Properties();
            tool.setProperty("user", db.user());
            tool.setProperty("password", db.password());
            try (Connection c = DriverManager.getConnection(db.url(), tool); Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE cluster_servers SET last_seen_at = now()");
                s.executeUpdate("UPDATE users SET name = name WHERE false");
                s.executeUpdate("UPDATE instances SET status = status WHERE false");
            }
        }
    }

    private static Map<String, Long> counts(TestDatabases.Fresh db) throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement()) {
            List<String> tables = new java.util.ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM \"" + t + "\"")) {
                    rs.next();
                    counts.put(t, rs.getLong(1));
                }
            }
        }
        return counts;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = UpgradeTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
