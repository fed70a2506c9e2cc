package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.trace.CrashPoint;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server killed in the middle of a lifecycle step, at the moment a sleep cannot aim at: a
 * release committed RELEASING and the server died before it cancelled the group's queue
 * ({@link CrashPoint}: the JVM halts there, as kill -9). The next server must finish the release:
 * the queued tasks cancelled (never left QUEUED in a RELEASED group), the running one untouched
 * until it ends, then RELEASED.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LifecycleCrashTest {

    @Test
    @DisplayName("SPEC RG-8: kill -9 between a release's RELEASING and its queue's cancelling: the restarted server cancels the queue, "
            + "then releases the group once its running task ended")
    void killedBetweenReleasingAndCancellingTheQueue() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-lifecycle-crash");
        TestDatabases.Fresh db = TestDatabases.migrated();
        String ws;
        String rg;
        String running;
        String queued;
        try (ServerProcess first = ServerProcess.start(dir, ServerProcess.START_TIMEOUT,
                List.of("-D" + CrashPoint.PROPERTY + "=lifecycle.release.committed"), ServerProcess.onDatabase(db))) {
            TestHttp http = first.http(dir);
            ws = ServerProcess.workspaceOnARunningGroup(http);
            rg = http.get("workspaces/" + ws).json().get("defaultResourceGroupId").asString();
            running = submit(http, ws, "sleep 600", 2);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> status(http, running).equals("RUNNING"));
            queued = submit(http, ws, "true", 1);
            assertThat(status(http, queued)).isEqualTo("QUEUED");
            // the server halts after RELEASING's commit: the caller gets no answer
            assertThatThrownBy(() -> http.delete("resource-groups/" + rg)).isInstanceOf(RuntimeException.class);
            assertThat(first.waitForExit(Duration.ofSeconds(60))).as(first.output()).isEqualTo(137);
        }
        // the moment the kill left: RELEASING, its queue not cancelled
        assertThat(column(db, "SELECT status FROM resource_groups WHERE id = ?", rg)).isEqualTo("RELEASING");
        assertThat(column(db, "SELECT status FROM instances WHERE id = ?", queued)).isEqualTo("QUEUED");

        try (ServerProcess second = ServerProcess.start(dir, ServerProcess.onDatabase(db))) {
            TestHttp http = second.http(dir);
            // the lifecycle job (every 5 s) finishes what the release began
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> status(http, queued).equals("CANCELLED"));
            assertThat(status(http, running)).isEqualTo("RUNNING");
            assertThat(http.get("resource-groups/" + rg).json().get("status").asString()).isEqualTo("RELEASING");
            var audit = http.get("audit-events?pageSize=1000&actor=system").text();
            assertThat(audit).contains("resource-group.release.cancel-queued");

            assertThat(http.post("instances/" + running + "/cancel", null).status()).isLessThan(300);
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> http.get("resource-groups/" + rg).json().get("status").asString().equals("RELEASED"));
            assertThat(http.get("workspaces/" + ws).json().has("defaultResourceGroupId")).isFalse();
            assertThat(status(http, running)).isEqualTo("CANCELLED");
        } finally {
            ServerProcess.stopLeftBehind();
        }
    }


    private static String submit(TestHttp http, String ws, String script, double cu) {
        var r = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", cu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static String status(TestHttp http, String instance) {
        return http.get("instances/" + instance).json().get("status").asString();
    }

    static String column(TestDatabases.Fresh db, String sql, String param) throws Exception {
        try (var c = DriverManager.getConnection(db.url(), db.user(), db.password()); var s = c.prepareStatement(sql)) {
            s.setString(1, param);
            try (var rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
