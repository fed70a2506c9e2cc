package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.trace.CrashPoint;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The server killed between submitting a DataService service's instance and recording it as the
 * pair's service ({@link CrashPoint}: the JVM halts there, as kill -9). The instance outlives the
 * server; the next server must serve with that one, not start a second service beside it that would
 * hold the group's CUs twice while nothing ever stops the first (SPEC DS-5).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DataServiceCrashTest {

    @Test
    @DisplayName("SPEC DS-5: kill -9 between a service's submission and its record: the restarted server adopts it, one service runs")
    void killedBetweenSubmittingAndRecordingTheService() throws Exception {
        // a long name: the worker's socket (instances/RUN/home/dataservice.sock below it) is longer than a socket
        // path's 107 bytes, which srg reaches through a link (SocketLinks); a worker there used to fail for good
        Path dir = TestDatabases.dataDirectory("dataservice-crash-test-with-a-data-directory-longer-than-a-socket-path");
        TestDatabases.Fresh db = TestDatabases.migrated();
        TestDatabases.Fresh source = TestDatabases.fresh();
        try (Connection c = DriverManager.getConnection(source.url(), source.user(), source.password()); var s = c.createStatement()) {
            s.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
            s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 10) g");
        }
        String ws;
        String rg;
        String api;
        try (ServerProcess first = ServerProcess.start(dir, ServerProcess.START_TIMEOUT,
                List.of("-D" + CrashPoint.PROPERTY + "=dataservice.service.submitted"), ServerProcess.onDatabase(db))) {
            TestHttp http = first.http(dir);
            ws = ServerProcess.workspaceOnARunningGroup(http);
            rg = http.get("workspaces/" + ws).json().get("defaultResourceGroupId").asString();
            String rest = source.url().substring("jdbc:postgresql://".length());
            String hostPort = rest.substring(0, rest.indexOf('/'));
            Map<String, Object> ds = new LinkedHashMap<>(Map.of("name", "items-db", "workspaceId", ws, "type", "POSTGRESQL",
                    "host", hostPort.substring(0, hostPort.lastIndexOf(':')),
                    "port", Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)),
                    "database", rest.substring(rest.indexOf('/') + 1), "user", source.user()));
            if (source.password() != null) {
                ds.put("password", source.password());
            }
            var dataSource = http.post("data-sources", ds);
            assertThat(dataSource.status()).as(dataSource.toString()).isEqualTo(201);
            var group = http.post("dataservice/api-groups", Map.of("name", "shop", "workspaceId", ws, "basePath", "shop"));
            assertThat(group.status()).as(group.toString()).isEqualTo(201);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("apiGroupId", group.id());
            body.put("name", "items");
            body.put("path", "items");
            body.put("method", "GET");
            body.put("mode", "SCRIPT");
            body.put("dataSourceId", dataSource.id());
            body.put("resourceGroupId", rg);
            body.put("sql", "SELECT id, name FROM items ORDER BY id");
            body.put("parameters", List.of());
            var created = http.post("dataservice/apis", body);
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            api = created.id();
            // the first test starts the group's service: the server halts once its instance is submitted
            assertThatThrownBy(() -> http.post("dataservice/apis/" + api + "/test", Map.of("params", Map.of())))
                    .isInstanceOf(RuntimeException.class);
            assertThat(first.waitForExit(Duration.ofSeconds(60))).as(first.output()).isEqualTo(137);
        }
        // the moment the kill left: an instance submitted, no service recorded
        List<String> submitted = activeServices(db, rg);
        assertThat(submitted).hasSize(1);
        assertThat(count(db, "SELECT count(*) FROM ds_services WHERE instance_id IS NOT NULL")).isZero();

        try (ServerProcess second = ServerProcess.start(dir, ServerProcess.onDatabase(db))) {
            TestHttp http = second.http(dir);
            try {
                String[] last = new String[1];
                try {
                    Awaitility.await().atMost(Duration.ofSeconds(120)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250))
                        .until(() -> {
                            var r = http.post("dataservice/apis/" + api + "/test", Map.of("params", Map.of()));
                            last[0] = r.toString();
                            if (r.status() == 503) {
                                return false;
                            }
                            assertThat(r.status()).as(r.toString()).isEqualTo(200);
                            assertThat(r.json().get("rowCount").asInt()).isEqualTo(10);
                            return true;
                        });
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    List<String> logs = new ArrayList<>();
                    for (String id : activeServices(db, rg)) {
                        logs.add(id + ": " + http.get("instances/" + id).text() + "\n" + http.get("instances/" + id + "/log").text());
                    }
                    throw new AssertionError("not served: " + last[0] + "; services " + logs + "\n" + second.output(), e);
                }
                var published = http.post("dataservice/apis/" + api + "/publish", null);
                assertThat(published.status()).as(published.toString()).isEqualTo(200);
                // one service, the one submitted before the kill; the group's CUs held once
                assertThat(activeServices(db, rg)).isEqualTo(submitted);
                JsonNode service = http.get("dataservice/services/" + rg + "?workspaceId=" + ws).json();
                assertThat(service.get("instanceId").asString()).as(service.toString()).isEqualTo(submitted.getFirst());
            } finally {
                // services outlive a server: stop them, or their processes outlive the test
                for (String id : activeServices(db, rg)) {
                    http.post("instances/" + id + "/cancel", null);
                }
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> activeServices(db, rg).isEmpty());
            }
        } finally {
            ServerProcess.stopLeftBehind();
            TestDatabases.drop(source);
        }
    }


    private static List<String> activeServices(TestDatabases.Fresh db, String rg) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
             var s = c.prepareStatement("SELECT id FROM instances WHERE resource_group_id = ? AND usage_type = 'DATA_SERVICE'"
                     + " AND status IN ('QUEUED', 'STARTING', 'RUNNING') ORDER BY id")) {
            s.setString(1, rg);
            List<String> ids = new ArrayList<>();
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        }
    }

    private static long count(TestDatabases.Fresh db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); var s = c.createStatement();
             var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
