package dev.srg.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.time.Duration;
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

/**
 * Alert rules end to end, with a real webhook receiver on loopback and the simulated clock: the
 * rules are evaluated when the test runs the background jobs (their own timer is 10 minutes).
 */
@Tag("database")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AlertRuleApiTest {
    static TestServer server;
    static Fixtures fx;
    static WebhookReceiver receiver;

    @BeforeAll
    static void start() {
        receiver = new WebhookReceiver();
        server = TestServer.start(cfg -> cfg.withSimulatedClock(true).withMonitor(m -> m
                .withAlertEvaluationInterval(Duration.ofMinutes(10)).withSampleInterval(Duration.ofMinutes(1))
                .withWebhook(Duration.ofMillis(100), 6, List.of("127.0.0.1", "*.example.com")).withWebhookAllowedCidrs(List.of("127.0.0.0/8"))));
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        server.close();
        receiver.close();
    }

    static TestHttp admin() {
        return server.admin(); // the port changes with a restart
    }

    static Map<String, Object> rule(String group, String metric, String comparator, Object threshold, int forSeconds, String url) {
        Map<String, Object> body = new HashMap<>();
        body.put("resourceGroupId", group);
        body.put("metric", metric);
        body.put("comparator", comparator);
        body.put("threshold", threshold);
        body.put("forSeconds", forSeconds);
        body.put("webhookUrl", url);
        return body;
    }

    static String create(Map<String, Object> body) {
        var r = admin().post("alert-rules", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    static List<JsonNode> events(String ruleId) {
        List<JsonNode> events = new ArrayList<>();
        admin().get("alert-rules/" + ruleId + "/events").json().get("items").forEach(events::add);
        return events;
    }

    static String state(String ruleId) {
        return admin().get("alert-rules/" + ruleId).json().get("state").asString();
    }

    @Test
    @Order(1)
    @DisplayName("SPEC MON-4: a notification is never lost and never sent twice across restarts (outbox, one row per transition)")
    void restartNeitherLosesNorRepeats() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        receiver.down("/restart");
        String id = create(rule(rg, "CU_UTILIZATION", "GE", 0, 0, receiver.url("/restart")));
        server.runBackgroundJobs();
        assertThat(state(id)).isEqualTo("FIRING");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> receiver.at("/restart").size() >= 1);
        server.restart();
        receiver.up("/restart");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> receiver.delivered("/restart").size() == 1);
        server.runBackgroundJobs(); // still true: stays FIRING, no new transition
        server.restart();
        server.runBackgroundJobs();
        sleep(1500);
        assertThat(receiver.delivered("/restart")).hasSize(1);
        assertThat(receiver.at("/restart").stream().map(WebhookReceiver.Received::eventId).distinct()).hasSize(1);
        List<JsonNode> events = events(id);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).get("notification").get("status").asString()).isEqualTo("DELIVERED");
        assertThat(admin().delete("alert-rules/" + id).status()).isEqualTo(204);
    }

    @Test
    @Order(2)
    @DisplayName("SPEC MON-4: PENDING_INSTANCES goes OK -> PENDING -> FIRING after forSeconds -> RESOLVED -> OK; firing and resolving are notified once each")
    void endToEnd() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        String busy = admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 120", "cu", 2,
                "timeoutSeconds", 300)).id();
        String waiting = admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "true", "cu", 1)).id();
        var created = admin().post("alert-rules", Map.of("name", "queue building up", "resourceGroupId", rg,
                "metric", "PENDING_INSTANCES", "comparator", "GT", "threshold", 0, "forSeconds", 60,
                "webhookUrl", receiver.url("/e2e")));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        assertThat(created.json().get("state").asString()).isEqualTo("OK");
        server.runBackgroundJobs();
        assertThat(state(id)).isEqualTo("PENDING");
        server.advanceClock(Duration.ofSeconds(30));
        assertThat(state(id)).isEqualTo("PENDING");
        assertThat(receiver.at("/e2e")).isEmpty();
        server.advanceClock(Duration.ofSeconds(31));
        assertThat(state(id)).isEqualTo("FIRING");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> receiver.at("/e2e").size() == 1);
        WebhookReceiver.Received firing = receiver.at("/e2e").get(0);
        assertThat(firing.body().get("state").asString()).isEqualTo("FIRING");
        assertThat(firing.body().get("previousState").asString()).isEqualTo("PENDING");
        assertThat(firing.body().get("ruleId").asString()).isEqualTo(id);
        assertThat(firing.body().get("ruleName").asString()).isEqualTo("queue building up");
        assertThat(firing.body().get("resourceGroupId").asString()).isEqualTo(rg);
        assertThat(firing.body().get("metric").asString()).isEqualTo("PENDING_INSTANCES");
        assertThat(firing.body().get("value").asDouble()).isEqualTo(1.0);
        assertThat(firing.body().get("threshold").asDouble()).isEqualTo(0.0);
        assertThat(firing.body().get("eventId").asString()).isEqualTo(firing.eventId());

        admin().post("instances/" + waiting + "/cancel", null);
        server.runBackgroundJobs();
        assertThat(state(id)).isEqualTo("RESOLVED");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> receiver.at("/e2e").size() == 2);
        WebhookReceiver.Received resolved = receiver.at("/e2e").get(1);
        assertThat(resolved.body().get("state").asString()).isEqualTo("RESOLVED");
        assertThat(resolved.body().get("value").asDouble()).isEqualTo(0.0);
        assertThat(resolved.eventId()).isNotEqualTo(firing.eventId());
        server.runBackgroundJobs();
        assertThat(state(id)).isEqualTo("OK");
        server.runBackgroundJobs();

        // the receiver has the resolving request before its row is marked (attempts counted with the
        // mark, in the transaction that sent it): wait for the mark, not just the request
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                "DELIVERED".equals(events(id).get(2).get("notification").get("status").asString()));
        List<JsonNode> events = events(id);
        assertThat(events.stream().map(e -> e.get("fromState").asString() + ">" + e.get("toState").asString()))
                .containsExactly("OK>PENDING", "PENDING>FIRING", "FIRING>RESOLVED", "RESOLVED>OK");
        assertThat(events.get(0).has("notification")).isFalse();
        assertThat(events.get(1).get("notification").get("status").asString()).isEqualTo("DELIVERED");
        assertThat(events.get(1).get("id").asString()).isEqualTo(firing.eventId());
        assertThat(events.get(2).get("notification").get("attempts").asInt()).isEqualTo(1);
        sleep(500);
        assertThat(receiver.at("/e2e")).hasSize(2);
        admin().post("instances/" + busy + "/cancel", null);
    }

    @Test
    @Order(3)
    @DisplayName("SPEC MON-4: a failing receiver gets retries with backoff, the same payload and event id, until it takes it")
    void retriesWithBackoff() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        receiver.failNext("/flaky", 2);
        String id = create(rule(rg, "CU_UTILIZATION", "LT", 0.5, 0, receiver.url("/flaky")));
        server.runBackgroundJobs();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> receiver.delivered("/flaky").size() == 1);
        List<WebhookReceiver.Received> all = receiver.at("/flaky");
        assertThat(all).hasSize(3);
        assertThat(all.stream().map(WebhookReceiver.Received::attempt)).containsExactly(1, 2, 3);
        assertThat(all.stream().map(WebhookReceiver.Received::eventId).distinct()).hasSize(1);
        assertThat(all.stream().map(r -> r.body().toString()).distinct()).hasSize(1);
        // the receiver has answered before the outbox row is marked: wait for the mark, not just the request
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                "DELIVERED".equals(events(id).get(0).get("notification").get("status").asString()));
        JsonNode n = events(id).get(0).get("notification");
        assertThat(n.get("attempts").asInt()).isEqualTo(3);
        assertThat(n.has("lastError")).isFalse();

        receiver.down("/never");
        String gives = create(rule(rg, "CU_UTILIZATION", "LT", 0.5, 0, receiver.url("/never")));
        server.runBackgroundJobs();
        // 6 attempts: 100 + 200 + 400 + 800 + 1600 ms of backoff
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                "FAILED".equals(events(gives).get(0).get("notification").get("status").asString()));
        JsonNode failed = events(gives).get(0).get("notification");
        assertThat(failed.get("attempts").asInt()).isEqualTo(6);
        assertThat(failed.get("lastError").asString()).contains("HTTP 503");
        assertThat(receiver.at("/never")).hasSize(6);
        // each retry at its time: not before its backoff, and not a poll's or a rescan's period later (the
        // notifier sleeps until the next retry is due, WebhookNotifier.RESCAN when none is)
        List<WebhookReceiver.Received> tries = receiver.at("/never");
        for (int i = 1; i < tries.size(); i++) {
            long gap = TimeUnit.NANOSECONDS.toMillis(tries.get(i).atNanos() - tries.get(i - 1).atNanos());
            long backoff = 100L << (i - 1);
            assertThat(gap).as("gap before attempt %d (ms)", i + 1).isBetween(backoff - 5, backoff + 1000);
        }
        admin().delete("alert-rules/" + id);
        admin().delete("alert-rules/" + gives);
    }

    @Test
    @Order(4)
    @DisplayName("SPEC MON-4 ACC-5: rules validate metric, comparator, threshold, forSeconds and webhook URL; need ResourceGroupFullAccess; are audited")
    void validationAccessAudit() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ok = receiver.url("/v");
        var admin = admin();
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", -0.1, 0, ok)).field()).isEqualTo("threshold");
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 11, 0, ok)).code()).isEqualTo("InvalidParameter.Threshold");
        assertThat(admin.post("alert-rules", rule(rg, "PENDING_INSTANCES", "GT", 2.5, 0, ok)).field()).isEqualTo("threshold");
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 0.8, -1, ok)).field()).isEqualTo("forSeconds");
        assertThat(admin.post("alert-rules", rule(rg, "CPU", "GT", 0.8, 0, ok)).code()).isEqualTo("InvalidParameter.Enum");
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "EQ", 0.8, 0, ok)).field()).isEqualTo("comparator");
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 0.8, 0, "ftp://127.0.0.1/x")).field()).isEqualTo("webhookUrl");
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 0.8, 0, "http://user:pw@127.0.0.1/x")).field()).isEqualTo("webhookUrl");
        assertThat(admin.post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 0.8, 0, "http://10.0.0.1/internal")).code())
                .isEqualTo("InvalidParameter.WebhookUrl.HostNotAllowed");
        var missingGroup = admin.post("alert-rules", rule("rg-nope", "CU_UTILIZATION", "GT", 0.8, 0, ok));
        assertThat(missingGroup.status()).isEqualTo(404);
        assertThat(missingGroup.field()).isEqualTo("resourceGroupId");
        Map<String, Object> noUrl = rule(rg, "CU_UTILIZATION", "GT", 0.8, 0, ok);
        noUrl.remove("webhookUrl");
        assertThat(admin.post("alert-rules", noUrl).code()).isEqualTo("MissingParameter");
        var outsider = fx.user();
        var before = server.snapshot();
        assertThat(outsider.http().post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 0.8, 0, ok)).status()).isEqualTo(403);
        assertThat(server.snapshot()).isEqualTo(before);

        Map<String, Object> body = rule(rg, "CU_UTILIZATION", "GE", 0.9, 300, "https://hooks.example.com/srg");
        body.put("clientToken", "t-1");
        String id = create(body);
        assertThat(admin.post("alert-rules", body).id()).isEqualTo(id);
        var reader = fx.user();
        assertThat(reader.http().get("alert-rules/" + id).status()).isEqualTo(403);
        assertThat(fx.user("ResourceGroupFullAccess").http().get("alert-rules?resourceGroupId=" + rg).json().get("items").get(0)
                .get("id").asString()).isEqualTo(id);
        JsonNode got = admin.get("alert-rules/" + id).json();
        assertThat(got.get("forSeconds").asInt()).isEqualTo(300);
        assertThat(got.get("webhookUrl").asString()).isEqualTo("https://hooks.example.com/srg");
        assertThat(admin.delete("alert-rules/" + id).status()).isEqualTo(204);
        assertThat(admin.get("alert-rules/" + id).status()).isEqualTo(404);
        assertThat(admin.get("alert-rules/" + id + "/events").status()).isEqualTo(404);
        String audit = admin.get("audit-events?pageSize=1000").text();
        assertThat(audit).contains("POST /api/v1/alert-rules").contains("DELETE /api/v1/alert-rules/" + id);
    }

    @Test
    @Order(5)
    @DisplayName("SPEC MON-4: a server stopped while a receiver is still answering marks the notification delivered before it stops: not sent again")
    void stoppedWhileAReceiverAnswers() throws Exception {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        int port = java.net.URI.create(server.url()).getPort();
        java.util.concurrent.CountDownLatch jobsRan = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Throwable> restartFailed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread[] restart = new Thread[1];
        // a slow receiver: it has the request when the server is told to stop, and answers once the stop
        // has closed the API (the notifier's turn comes next), within the webhook's timeout (5 s)
        receiver.beforeNextAnswer("/slow", () -> {
            try {
                jobsRan.await();
                restart[0] = Thread.ofPlatform().start(() -> {
                    try {
                        server.restart();
                    } catch (Throwable t) {
                        restartFailed.set(t);
                    }
                });
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
                while (listening(port) && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        String id = create(rule(rg, "CU_UTILIZATION", "GE", 0, 0, receiver.url("/slow")));
        server.runBackgroundJobs();
        jobsRan.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> restart[0] != null);
        restart[0].join(TimeUnit.MINUTES.toMillis(3));
        assertThat(restart[0].isAlive()).isFalse();
        assertThat(restartFailed.get()).isNull();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                "DELIVERED".equals(events(id).get(0).get("notification").get("status").asString()));
        // stopping waited for the answer and marked it: the restarted server had nothing to send again
        // (interrupted, the attempt counted as failed and was sent a second time after the restart)
        assertThat(receiver.at("/slow")).hasSize(1);
        assertThat(events(id).get(0).get("notification").get("attempts").asInt()).isEqualTo(1);
        assertThat(admin().delete("alert-rules/" + id).status()).isEqualTo(204);
    }

    @Test
    @Order(6)
    @DisplayName("SPEC RG-4: a released group takes no new alert rule (409 ResourceGroup.Released naming resourceGroupId)")
    void releasedGroupTakesNoRule() {
        String rg = fx.payAsYouGoGroup(2).get("id").asString();
        assertThat(admin().delete("resource-groups/" + rg).status()).isEqualTo(204);
        assertThat(admin().get("resource-groups/" + rg).json().get("status").asString()).isEqualTo("RELEASED");
        long before = server.sqlLong("SELECT count(*) FROM alert_rules");
        var r = admin().post("alert-rules", rule(rg, "CU_UTILIZATION", "GT", 0.8, 0, receiver.url("/released")));
        assertThat(r.status()).as(r.toString()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("ResourceGroup.Released");
        assertThat(r.field()).isEqualTo("resourceGroupId");
        assertThat(server.sqlLong("SELECT count(*) FROM alert_rules")).isEqualTo(before);
    }

    private static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
