package dev.srg.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** The usage history over HTTP, on a simulated clock (the background jobs run when the test says). */
@Tag("database")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UsageHistoryApiTest {
    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;

    @BeforeAll
    static void start() {
        server = TestServer.start(cfg -> cfg.withSimulatedClock(true).withMonitor(m -> m
                .withSampleInterval(Duration.ofMinutes(1)).withAlertEvaluationInterval(Duration.ofMinutes(10))
                .withRetention(Duration.ofDays(1), Duration.ofDays(2))));
        fx = new Fixtures(server);
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Map<String, Object> task(String ws, String script, double cu, int timeoutSeconds) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", ws);
        body.put("type", "SHELL");
        body.put("script", script);
        body.put("cu", cu);
        body.put("timeoutSeconds", timeoutSeconds);
        return body;
    }

    static JsonNode awaitStatus(String id, String status) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return status.equals(last[0].path("status").asString());
        });
        return last[0];
    }

    static List<JsonNode> points(JsonNode history) {
        List<JsonNode> points = new ArrayList<>();
        history.path("points").forEach(points::add);
        return points;
    }

    @Test
    @Order(1)
    @DisplayName("SPEC MON-1: the usage curve shows used CU per minute, in all and per usage type, with capacity and utilization")
    void curvePerMinute() {
        String rg = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        String id = admin.post("instances", task(ws, "sleep 60", 1, 120)).id();
        awaitStatus(id, "RUNNING");
        server.runBackgroundJobs();
        server.advanceClock(Duration.ofMinutes(1));
        server.advanceClock(Duration.ofMinutes(1));
        var r = admin.get("resource-groups/" + rg + "/usage/history?since=10m&step=60");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().get("resolution").asString()).isEqualTo("MINUTE");
        assertThat(r.json().get("stepSeconds").asLong()).isEqualTo(60);
        List<JsonNode> busy = points(r.json()).stream().filter(p -> p.get("usedCu").asDouble() == 1.0).toList();
        assertThat(busy).as(r.toString()).hasSizeGreaterThanOrEqualTo(2);
        JsonNode p = busy.get(busy.size() - 1);
        assertThat(p.get("capacityCu").asDouble()).isEqualTo(4.0);
        assertThat(p.get("maxUsedCu").asDouble()).isEqualTo(1.0);
        assertThat(p.get("utilization").asDouble()).isEqualTo(0.25);
        assertThat(p.get("running").asDouble()).isEqualTo(1.0);
        assertThat(p.get("byUsageType").get("SCHEDULING").get("usedCu").asDouble()).isEqualTo(1.0);
        assertThat(p.get("byUsageType").has("DATA_INTEGRATION")).isFalse();
        admin.post("instances/" + id + "/cancel", null);
    }

    @Test
    @Order(2)
    @DisplayName("SPEC MON-2: a queued instance shows its position, why it waits and when it should start (from the running task's timeout)")
    void queuedEstimate() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        String big = admin.post("instances", task(ws, "sleep 60", 2, 40)).id();
        JsonNode running = awaitStatus(big, "RUNNING");
        String small = admin.post("instances", task(ws, "true", 1, 60)).id();
        JsonNode queued = admin.get("instances/" + small).json();
        assertThat(queued.get("status").asString()).isEqualTo("QUEUED");
        JsonNode q = queued.get("queue");
        assertThat(q.get("position").asInt()).isEqualTo(1);
        assertThat(q.get("reason").asString()).isEqualTo("CAPACITY");
        Instant expected = Instant.parse(running.get("startedAt").asString()).plusSeconds(40);
        Instant estimated = Instant.parse(q.get("estimatedStartAt").asString());
        assertThat(Duration.between(expected, estimated).abs()).isLessThan(Duration.ofSeconds(2));
        assertThat(q.get("estimate").asString()).contains("timeouts");
        var listed = admin.get("instances?resourceGroupId=" + rg + "&status=QUEUED").json().get("items").get(0);
        assertThat(listed.get("queue").get("estimatedStartAt").asString()).isEqualTo(q.get("estimatedStartAt").asString());
        admin.post("instances/" + small + "/cancel", null);
        admin.post("instances/" + big + "/cancel", null);
    }

    @Test
    @Order(3)
    @DisplayName("SPEC MON-1: a clock jump of days is caught up without gaps or double points; old minutes become hours, old hours go")
    void clockJumpRollupAndRetention() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        server.runBackgroundJobs();
        server.advanceClock(Duration.ofDays(3));
        String minutes = "SELECT count(*) FROM usage_points WHERE usage_type = 'ALL' AND step_seconds = 60 AND resource_group_id = '" + rg + "'";
        String hours = "SELECT count(*) FROM usage_points WHERE usage_type = 'ALL' AND step_seconds = 3600 AND resource_group_id = '" + rg + "'";
        long minuteRows = server.sqlLong(minutes);
        long hourRows = server.sqlLong(hours);
        // minutes kept 1 day (from the hour before the cutoff), hours kept 2 days
        assertThat(minuteRows).isBetween(24L * 60, 26L * 60);
        assertThat(hourRows).isBetween(46L, 49L);
        assertThat(server.sqlLong("SELECT count(*) FROM usage_points WHERE step_seconds = 60 AND time < now() + interval '3 days' - interval '26 hours'"))
                .isZero();
        server.runBackgroundJobs();
        server.runBackgroundJobs();
        assertThat(server.sqlLong(minutes)).isBetween(minuteRows, minuteRows + 1); // at most the minute that just ended
        assertThat(server.sqlLong(hours)).isEqualTo(hourRows);

        var lastHour = admin.get("resource-groups/" + rg + "/usage/history?since=1h&step=1m");
        assertThat(lastHour.status()).as(lastHour.toString()).isEqualTo(200);
        List<JsonNode> pts = points(lastHour.json());
        assertThat(pts.size()).isBetween(59, 61);
        for (int i = 1; i < pts.size(); i++) {
            assertThat(Duration.between(Instant.parse(pts.get(i - 1).get("time").asString()),
                    Instant.parse(pts.get(i).get("time").asString()))).isEqualTo(Duration.ofMinutes(1));
        }
        var twoDays = admin.get("resource-groups/" + rg + "/usage/history?since=47h&step=1h");
        assertThat(twoDays.json().get("resolution").asString()).isEqualTo("HOUR");
        List<JsonNode> hourly = points(twoDays.json());
        assertThat(hourly.size()).as(twoDays.toString()).isBetween(46, 48);
        assertThat(hourly.get(0).get("capacityCu").asDouble()).isEqualTo(2.0);
        assertThat(hourly.get(0).get("usedCu").asDouble()).isZero();
    }

    @Test
    @Order(4)
    @DisplayName("SPEC MON-1: history refuses a step under 60 s, from after to, too many points; others' groups are not found")
    void badInput() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        var step = admin.get("resource-groups/" + rg + "/usage/history?step=30");
        assertThat(step.status()).isEqualTo(400);
        assertThat(step.field()).isEqualTo("step");
        assertThat(admin.get("resource-groups/" + rg + "/usage/history?step=90").code()).isEqualTo("InvalidParameter.Step");
        var order = admin.get("resource-groups/" + rg + "/usage/history?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z");
        assertThat(order.status()).isEqualTo(400);
        assertThat(order.code()).isEqualTo("InvalidParameter.TimeRange");
        var many = admin.get("resource-groups/" + rg + "/usage/history?from=2000-01-01T00:00:00Z&step=3600");
        assertThat(many.status()).isEqualTo(400);
        assertThat(many.field()).isEqualTo("step");
        assertThat(admin.get("resource-groups/" + rg + "/usage/history?from=yesterday").field()).isEqualTo("from");
        assertThat(admin.get("resource-groups/rg-nope/usage/history").status()).isEqualTo(404);
        assertThat(fx.user().http().get("resource-groups/" + rg + "/usage/history").status()).isEqualTo(404);
        assertThat(server.anonymous().get("resource-groups/" + rg + "/usage/history").status()).isEqualTo(401);
    }
}
