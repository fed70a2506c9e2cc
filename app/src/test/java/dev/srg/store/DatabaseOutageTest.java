package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The database dies under a running srg and comes back: a real PostgreSQL (not srg's embedded
 * one, so srg treats it as an external server it must reconnect to), killed with SIGKILL.
 */
@Tag("database")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DatabaseOutageTest {

    @Test
    @DisplayName("database killed: calls fail fast with 503 + Retry-After, readiness says so, a running task's result is recorded once it is back")
    void externalDatabaseKilledAndBack() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-outage-pg");
        EmbeddedPostgres pg = EmbeddedPostgres.start(dir);
        try {
            try (var c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
                 var s = c.createStatement()) {
                s.execute("CREATE DATABASE srg");
            }
            TestServer server = TestServer.onDatabase(pg.jdbcUrl("srg"), pg.user(), pg.password());
            try {
                survive(server, () -> {
                    long pid = pg.pid();
                    assertThat(ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly)).contains(true);
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !pg.running());
                }, pg::restart);
            } finally {
                server.close();
            }
        } finally {
            pg.close();
        }
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "SRG_TEST_DATABASE_STOP", matches = ".+")
    @DisplayName("the external PostgreSQL of the CI pass stopped (immediate, as a crash) and started: the same, on that server")
    void externalServerStoppedAndStarted() throws Exception {
        // .ci/run sets SRG_TEST_DATABASE_STOP and SRG_TEST_DATABASE_START for its external server
        TestServer server = TestServer.start();
        try {
            survive(server, () -> shell(System.getenv("SRG_TEST_DATABASE_STOP")), () -> shell(System.getenv("SRG_TEST_DATABASE_START")));
        } finally {
            server.close();
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private static void shell(String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).inheritIO().start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(command).isTrue();
        assertThat(p.exitValue()).as(command).isZero();
    }

    private static void survive(TestServer server, Step stop, Step start) throws Exception {
        Fixtures fx = new Fixtures(server);
        TestHttp admin = server.admin();
        TestHttp anonymous = server.anonymous();
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        assertThat(anonymous.get("/readyz").status()).isEqualTo(200);
        var task = admin.post("instances", task(ws, "sleep 3; echo survived"));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> admin.get("instances/" + task.id()).json().path("status").asString().equals("RUNNING"));

        // a group whose provisioning (a background job) falls due while the database is away
        var group = admin.post("resource-groups", fx.subscriptionBody(fx.network(), 2));
        assertThat(group.status()).as(group.toString()).isEqualTo(201);

        stop.run();

        // with no call at all, readiness follows within the probe's period (Database.CHECK_EVERY) and its look
        Awaitility.await().atMost(Database.CHECK_EVERY.plusSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> anonymous.get("/readyz").status() == 503);
        // noticed within moments, not after a 15 s pool timeout
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> admin.get("vpcs").status() == 503);
        long slowest = 0;
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            var r = i % 2 == 0 ? admin.get("vpcs")
                    : admin.post("vpcs", Map.of("name", "lost", "regionId", "local", "cidr", "10.77.0.0/16"));
            slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(r.status()).as(r.toString()).isEqualTo(503);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.code()).isEqualTo("ServiceUnavailable.Database");
            assertThat(r.header("Retry-After")).isNotNull();
        }
        assertThat(slowest).as("slowest 503 in ms").isLessThan(500);
        // an anonymous caller learns nothing more than that the service is unavailable
        assertThat(anonymous.get("vpcs").status()).isEqualTo(503);
        assertThat(anonymous.get("/readyz").status()).isEqualTo(503);
        assertThat(anonymous.get("/healthz").status()).isEqualTo(503);
        assertThat(anonymous.get("/livez").status()).isEqualTo(200);

        // the task ends while the database is away
        Thread.sleep(4_000);
        start.run();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> anonymous.get("/readyz").status() == 200);

        // its result is recorded once the database is back, exactly once
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.get("instances/" + task.id()).json().path("status").asString().equals("SUCCEEDED"));
        assertThat(admin.get("instances/" + task.id() + "/log").text()).isEqualTo("survived\n");
        assertThat(server.sqlLong("SELECT count(*) FROM instances WHERE id = '" + task.id() + "' AND finished_at IS NOT NULL"))
                .isEqualTo(1);
        // the background job caught up
        fx.awaitRunning(group.id());
        // nothing of the refused calls was done; new calls work
        assertThat(admin.get("vpcs").json().get("items").findValuesAsString("name")).doesNotContain("lost");
        var vpc = admin.post("vpcs", Map.of("name", "after", "regionId", "local", "cidr", "10.78.0.0/16"));
        assertThat(vpc.status()).as(vpc.toString()).isEqualTo(201);
        // the group's CUs were given back: another task runs
        var next = admin.post("instances", task(ws, "echo again"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> List.of("SUCCEEDED").contains(admin.get("instances/" + next.id()).json().path("status").asString()));
    }

    static Map<String, Object> task(String workspaceId, String script) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", workspaceId);
        body.put("type", "SHELL");
        body.put("script", script);
        body.put("cu", 2);
        return body;
    }
}
