package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestCli;
import dev.srg.testing.TestCli.Run;
import dev.srg.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code srg rg usage} and {@code srg alert ...} against a real server on a simulated clock. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MonitorCommandsTest {
    static TestServer server;
    static Fixtures fx;

    @TempDir
    static Path home;

    @BeforeAll
    static void start() {
        server = TestServer.start(cfg -> cfg.withSimulatedClock(true).withMonitor(m -> m
                .withSampleInterval(Duration.ofMinutes(1)).withAlertEvaluationInterval(Duration.ofMinutes(10))));
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Run srg(String... args) {
        return TestCli.asAdmin(server, Map.of("XDG_CONFIG_HOME", home.toString()), args);
    }

    static Run ok(String... args) {
        Run r = srg(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    @Test
    @DisplayName("SPEC MON-1: srg rg usage shows used CU now per usage type, and with --since draws the usage curve")
    void usageChart() {
        String rg = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        String id = server.admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 60", "cu", 2)).id();
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> "RUNNING".equals(server.admin().get("instances/" + id).json().path("status").asString()));
        server.runBackgroundJobs();
        for (int i = 0; i < 3; i++) {
            server.advanceClock(Duration.ofMinutes(1));
        }
        String now = ok("rg", "usage", rg).out();
        assertThat(now).contains("capacity 4 CU, used 2 CU (50%)").contains("SCHEDULING").contains("USED-CU");
        String chart = ok("rg", "usage", rg, "--since", "10m").out();
        assertThat(chart).contains("usage of " + rg).contains("step 1m").contains("capacity 4 CU");
        String used = chart.lines().filter(l -> l.startsWith("USED CU")).findFirst().orElseThrow();
        assertThat(used).contains("▅").endsWith("2");
        assertThat(chart).contains("  SCHEDULING").contains("QUEUED");
        JsonNode history = Json.MAPPER.readTree(ok("rg", "usage", rg, "--since", "2h", "--step", "5m", "-o", "json").out());
        assertThat(history.get("stepSeconds").asInt()).isEqualTo(300);
        assertThat(srg("rg", "usage", rg, "--since", "1h", "--step", "30s").exit()).isEqualTo(ClientCommands.REFUSED);
        server.admin().post("instances/" + id + "/cancel", null);
    }

    @Test
    @DisplayName("SPEC MON-4: srg alert create, list, get, events, delete")
    void alertCommands() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        Run created = ok("alert", "create", "--group", rg, "--metric", "cu_utilization", "--comparator", "gt", "--threshold", "0.8",
                "--for", "5m", "--webhook", "http://192.0.2.1:9/hook", "--name", "busy", "-o", "json");
        String id = Json.MAPPER.readTree(created.out()).get("id").asString();
        assertThat(ok("alert", "list", "--group", rg).out()).contains(id).contains("CU_UTILIZATION > 0.8 for 5m").contains("OK");
        assertThat(ok("alert", "get", id).out()).contains("WEBHOOK").contains("http://192.0.2.1:9/hook");
        server.runBackgroundJobs();
        assertThat(ok("alert", "events", id).out()).startsWith("SEQ");
        Run bad = srg("alert", "create", "--group", rg, "--metric", "PENDING_INSTANCES", "--comparator", "GT", "--threshold", "1.5",
                "--webhook", "http://192.0.2.1:9/hook");
        assertThat(bad.exit()).isEqualTo(ClientCommands.REFUSED);
        assertThat(bad.err()).contains("threshold");
        // 1e-999 is not 0, but the double it is kept as would be (it was stored as 0.0)
        Run tiny = srg("alert", "create", "--group", rg, "--metric", "CU_UTILIZATION", "--comparator", "GT", "--threshold", "1e-999",
                "--webhook", "http://192.0.2.1:9/hook");
        assertThat(tiny.exit()).isEqualTo(ClientCommands.REFUSED);
        assertThat(tiny.err()).contains("InvalidParameter.Number").contains("threshold");
        assertThat(ok("alert", "delete", id).out()).contains("Deleted alert rule " + id);
        assertThat(srg("alert", "get", id).exit()).isEqualTo(ClientCommands.REFUSED);
    }
}
