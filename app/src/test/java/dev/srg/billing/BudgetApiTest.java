package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.monitor.WebhookReceiver;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SPEC BEY-3: budgets through the API, a real task, the simulated clock and a real webhook receiver. */
@Tag("database")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BudgetApiTest {
    static WebhookReceiver receiver;
    static TestServer server;
    static Fixtures fx;

    @BeforeAll
    static void start() {
        receiver = new WebhookReceiver();
        server = TestServer.start(cfg -> cfg.withSimulatedClock(true).withMonitor(m -> m
                .withAlertEvaluationInterval(Duration.ofMinutes(10))
                .withWebhook(Duration.ofMillis(100), 6, List.of("127.0.0.1")).withWebhookAllowedCidrs(List.of("127.0.0.0/8"))));
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        server.close();
        receiver.close();
    }

    static TestHttp admin() {
        return server.admin();
    }

    static Instant now() {
        return Instant.parse(admin().get("clock").json().get("now").asString());
    }

    /** The start of the next calendar month (UTC) on the simulated clock. */
    static Instant nextMonth() {
        return YearMonth.from(now().atZone(ZoneOffset.UTC)).plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    /** Moves the clock into the next month when less than 3 hours are left of this one: the first steps stay in one month. */
    static void keepInsideAMonth() {
        Duration left = Duration.between(now(), nextMonth());
        if (left.compareTo(Duration.ofHours(3)) < 0) {
            server.advanceClock(left.plusMinutes(1));
        }
    }

    static List<Integer> thresholdsDelivered(String path) {
        return receiver.delivered(path).stream().map(r -> r.body().get("thresholdPercent").asInt()).toList();
    }

    @Test
    @DisplayName("SPEC BEY-3: a workspace's CU-hour budget notifies its alert rule's webhook at 50, 80 and 100 % once each,"
            + " not again after a restart or a raise, and again in the next month")
    void thresholdsOnceAMonth() {
        keepInsideAMonth();
        String group = fx.payAsYouGoGroup(4).get("id").asString();
        String ws = fx.workspace(group).get("id").asString();
        Map<String, Object> rule = new HashMap<>(Map.of("resourceGroupId", group, "metric", "PENDING_INSTANCES", "comparator", "GT",
                "threshold", 1000, "forSeconds", 0, "webhookUrl", receiver.url("/budget")));
        String ruleId = admin().post("alert-rules", rule).id();
        var created = admin().post("budgets", Map.of("name", "team-a", "workspaceId", ws, "unit", "CU_HOURS", "amount", 1,
                "alertRuleIds", List.of(ruleId)));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String budget = created.id();
        assertThat(created.json().get("thresholds").toString()).isEqualTo("[50,80,100]");

        var task = admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 600", "cu", 1, "name", "spend"));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                admin().get("instances/" + task.id()).json().get("status").asString().equals("RUNNING"));

        server.advanceClock(Duration.ofMinutes(31)); // 0.52 CU-hours of 1
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> thresholdsDelivered("/budget").equals(List.of(50)));
        var info = admin().get("budgets/" + budget).json();
        assertThat(info.get("spent").decimalValue()).isGreaterThanOrEqualTo(new BigDecimal("0.5"));
        assertThat(info.get("spentOut").asBoolean()).isFalse();
        assertThat(info.get("notified").toString()).isEqualTo("[50]");

        server.advanceClock(Duration.ofMinutes(30)); // 1.02: 80 and 100 at once
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> thresholdsDelivered("/budget").size() == 3);
        assertThat(thresholdsDelivered("/budget")).containsExactlyInAnyOrder(50, 80, 100);
        var payload = receiver.delivered("/budget").getFirst().body();
        assertThat(payload.get("kind").asString()).isEqualTo("BUDGET_THRESHOLD");
        assertThat(payload.get("budgetId").asString()).isEqualTo(budget);
        assertThat(payload.get("workspaceId").asString()).isEqualTo(ws);
        assertThat(admin().get("budgets/" + budget).json().get("spentOut").asBoolean()).isTrue();

        // a restart (a new leader) records nothing twice and sends nothing twice
        server.restart();
        server.runBackgroundJobs();
        server.advanceClock(Duration.ofMinutes(1));
        assertThat(server.sqlLong("SELECT count(*) FROM budget_events WHERE budget_id = '" + budget + "'")).isEqualTo(3);
        assertThat(receiver.at("/budget")).hasSize(3);
        var page = admin().get("budgets/" + budget + "/events").json();
        assertThat(page.isObject()).as("API.md: a list answers {items, nextPageToken}").isTrue();
        var events = page.get("items");
        assertThat(events.size()).isEqualTo(3);
        assertThat(events.get(0).get("notices").get(0).get("delivery").asString()).isEqualTo("DELIVERED");
        assertThat(admin().get("audit-events?actor=system&pageSize=1000").text()).contains("budget.threshold").contains(budget);

        // raised: below its thresholds again, nothing notified twice in the month
        var raised = admin().patch("budgets/" + budget, Map.of("amount", 10));
        assertThat(raised.status()).as(raised.toString()).isEqualTo(200);
        assertThat(raised.json().get("spentOut").asBoolean()).isFalse();
        server.advanceClock(Duration.ofMinutes(1));
        assertThat(receiver.at("/budget")).hasSize(3);

        // the next month starts with no threshold notified: 5 CU-hours of 10 reach 50 % again
        Instant next = nextMonth();
        server.advanceClock(Duration.between(now(), next).plusHours(5).plusMinutes(5));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.delivered("/budget").size() == 4);
        var fourth = receiver.delivered("/budget").get(3).body();
        assertThat(fourth.get("thresholdPercent").asInt()).isEqualTo(50);
        assertThat(fourth.get("month").asString()).isEqualTo(YearMonth.from(next.atZone(ZoneOffset.UTC)).toString());
        admin().post("instances/" + task.id() + "/cancel", Map.of());
    }

    static String status(String instance) {
        return admin().get("instances/" + instance).json().get("status").asString();
    }

    static String reason(String instance) {
        var q = admin().get("instances/" + instance).json().get("queue");
        return q == null || q.isNull() ? null : q.get("reason").asString();
    }

    @Test
    @DisplayName("SPEC BEY-3: a spent budget that holds new tasks queues them with reason BUDGET (the dry run says so), never"
            + " stops the running one, keeps them held over a restart, and releases them on a raise and in the next month")
    void holdsNewTasksOnceSpent() {
        keepInsideAMonth();
        String group = fx.payAsYouGoGroup(4).get("id").asString();
        String ws = fx.workspace(group).get("id").asString();
        String other = fx.workspace(group).get("id").asString();
        var created = admin().post("budgets", Map.of("name", "capped", "workspaceId", ws, "unit", "CU_HOURS", "amount", 1,
                "holdNewTasks", true));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("holdNewTasks").asBoolean()).isTrue();
        assertThat(created.json().get("holding").asBoolean()).isFalse();
        String budget = created.id();

        var first = admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 3000", "cu", 1));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(first.id()).equals("RUNNING"));
        server.advanceClock(Duration.ofMinutes(61)); // 1.02 CU-hours of 1: spent
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin().get("budgets/" + budget).json().get("holding").asBoolean());

        // the dry run says what holds it; a submission queues with that reason; the other workspace runs
        var dry = admin().post("instances?dryRun=true", Map.of("workspaceId", ws, "type", "SHELL", "script", "true", "cu", 1));
        assertThat(dry.status()).as(dry.toString()).isEqualTo(200);
        assertThat(dry.json().get("startsNow").asBoolean()).isFalse();
        assertThat(dry.json().get("reason").asString()).isEqualTo("BUDGET");
        assertThat(dry.json().get("estimate").asString()).contains("budget");
        var held = admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "echo started; sleep 3000", "cu", 1));
        assertThat(held.status()).as(held.toString()).isEqualTo(201);
        var free = admin().post("instances", Map.of("workspaceId", other, "type", "SHELL", "script", "true", "cu", 1));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(free.id()).equals("SUCCEEDED"));
        assertThat(status(held.id())).isEqualTo("QUEUED");
        assertThat(reason(held.id())).isEqualTo("BUDGET");
        assertThat(status(first.id())).as("running tasks are never stopped").isEqualTo("RUNNING");
        assertThat(admin().get("audit-events?actor=system&pageSize=1000").text()).contains("budget.hold");

        // a restart in the middle: still held, nothing lost, the running one still runs
        server.restart();
        server.runBackgroundJobs();
        assertThat(status(held.id())).isEqualTo("QUEUED");
        assertThat(reason(held.id())).isEqualTo("BUDGET");
        assertThat(status(first.id())).isEqualTo("RUNNING");

        // raised: released at once (the answer already shows it), started once
        var raised = admin().patch("budgets/" + budget, Map.of("amount", 10));
        assertThat(raised.status()).as(raised.toString()).isEqualTo(200);
        assertThat(raised.json().get("holding").asBoolean()).isFalse();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(held.id()).equals("RUNNING"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin().get("instances/" + held.id() + "/log").text().contains("started"));
        assertThat(admin().get("instances/" + held.id() + "/log").text()).isEqualTo("started\n");
        assertThat(admin().get("instances/" + held.id()).json().get("restarts").asInt()).isZero();

        // cut back below what is spent: held again; the next month releases it
        assertThat(admin().patch("budgets/" + budget, Map.of("amount", 1)).json().get("holding").asBoolean()).isTrue();
        var next = admin().post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "true", "cu", 1));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "BUDGET".equals(reason(next.id())));
        server.advanceClock(Duration.between(now(), nextMonth()).plusMinutes(1));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(next.id()).equals("SUCCEEDED"));
        assertThat(admin().get("budgets/" + budget).json().get("holding").asBoolean()).isFalse();
        assertThat(status(first.id())).isEqualTo("RUNNING");
        assertThat(admin().get("audit-events?actor=system&pageSize=1000").text()).contains("budget.release");
        admin().post("instances/" + first.id() + "/cancel", Map.of());
        admin().post("instances/" + held.id() + "/cancel", Map.of());
    }

    @Test
    @DisplayName("SPEC BEY-3: a group's money budget spends what the chargeback gives the group; bad input is a 400 naming the field")
    void moneyAndBadInput() {
        String group = fx.subscriptionGroup(2).get("id").asString();
        var created = admin().post("budgets", Map.of("name", "rg", "resourceGroupId", group, "unit", "MONEY", "amount", "1000.5"));
        assertThat(created.status()).as(created.toString()).isEqualTo(400); // a number, not a string
        created = admin().post("budgets", Map.of("name", "rg", "resourceGroupId", group, "unit", "MONEY", "amount", 1000.5));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        // the subscription's order of this month is the group's spending, as the chargeback splits it
        BigDecimal chargeback = BigDecimal.ZERO;
        for (var row : admin().get("chargeback").json().get("rows")) {
            if (row.get("resourceGroupId").asString().equals(group)) {
                chargeback = chargeback.add(row.get("cost").decimalValue());
            }
        }
        assertThat(created.json().get("spent").decimalValue()).isPositive().isEqualByComparingTo(chargeback);

        record Case(Map<String, Object> body, String field) {}
        for (Case c : List.of(
                new Case(Map.of("unit", "MONEY", "amount", 1, "workspaceId", "x"), "name"),
                new Case(Map.of("name", "b", "unit", "MONEY", "amount", 1), "workspaceId"),
                new Case(Map.of("name", "b", "unit", "MONEY", "amount", 1, "workspaceId", "ws-nope"), "workspaceId"),
                new Case(Map.of("name", "b", "unit", "MONEY", "amount", 0, "resourceGroupId", group), "amount"),
                new Case(Map.of("name", "b", "unit", "MONEY", "amount", 0.0000001, "resourceGroupId", group), "amount"),
                new Case(Map.of("name", "b", "unit", "LITRES", "amount", 1, "resourceGroupId", group), "unit"),
                new Case(Map.of("name", "b", "unit", "MONEY", "amount", 1, "resourceGroupId", group, "thresholds", List.of(50, 150)),
                        "thresholds"),
                new Case(Map.of("name", "b", "unit", "MONEY", "amount", 1, "resourceGroupId", group, "alertRuleIds", List.of("ar-nope")),
                        "alertRuleIds[0]"))) {
            var r = admin().post("budgets", c.body());
            assertThat(r.status()).as("%s: %s", c, r).isBetween(400, 404);
            assertThat(r.field()).as(c.toString()).isEqualTo(c.field());
        }
        assertThat(fx.user().http().get("budgets").status()).isEqualTo(403);
        assertThat(admin().delete("budgets/" + created.id()).status()).isEqualTo(204);
        assertThat(admin().get("budgets/" + created.id()).status()).isEqualTo(404);
    }

    @Test
    @DisplayName("SPEC RG-4: a released group takes no new budget (409 ResourceGroup.Released naming resourceGroupId); nothing is"
            + " created")
    void releasedGroupTakesNoBudget() {
        String group = fx.payAsYouGoGroup(2).get("id").asString();
        assertThat(admin().delete("resource-groups/" + group).status()).isEqualTo(204);
        assertThat(admin().get("resource-groups/" + group).json().get("status").asString()).isEqualTo("RELEASED");
        long before = server.sqlLong("SELECT count(*) FROM budgets");
        var r = admin().post("budgets", Map.of("name", "late", "resourceGroupId", group, "unit", "CU_HOURS", "amount", 1));
        assertThat(r.status()).as(r.toString()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("ResourceGroup.Released");
        assertThat(r.field()).isEqualTo("resourceGroupId");
        assertThat(server.sqlLong("SELECT count(*) FROM budgets")).isEqualTo(before);
    }

    @Test
    @DisplayName("an alert rule a budget notifies is in use: its delete is 409 AlertRule.InUse naming the budget, and the rule"
            + " stays; once no budget names it, it is deleted")
    void ruleNamedByABudgetIsInUse() {
        String group = fx.payAsYouGoGroup(2).get("id").asString();
        String ruleId = admin().post("alert-rules", Map.of("resourceGroupId", group, "metric", "PENDING_INSTANCES",
                "comparator", "GT", "threshold", 1000, "webhookUrl", receiver.url("/in-use"))).id();
        var budget = admin().post("budgets", Map.of("name", "uses-rule", "resourceGroupId", group, "unit", "CU_HOURS", "amount", 1,
                "alertRuleIds", List.of(ruleId)));
        assertThat(budget.status()).as(budget.toString()).isEqualTo(201);
        // before: 204, and the budget kept the id of a rule that no longer existed
        var refused = admin().delete("alert-rules/" + ruleId);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("AlertRule.InUse");
        assertThat(refused.json().get("detail").asString()).contains(budget.id());
        assertThat(admin().get("alert-rules/" + ruleId).status()).isEqualTo(200);
        assertThat(admin().get("budgets/" + budget.id()).json().get("alertRuleIds").toString()).contains(ruleId);

        var cleared = admin().patch("budgets/" + budget.id(), Map.of("alertRuleIds", List.of()));
        assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
        assertThat(admin().delete("alert-rules/" + ruleId).status()).isEqualTo(204);
        assertThat(admin().get("alert-rules/" + ruleId).status()).isEqualTo(404);
        String audit = admin().get("audit-events?pageSize=1000").text();
        assertThat(audit).contains("DELETE /api/v1/alert-rules/" + ruleId);
    }
}
