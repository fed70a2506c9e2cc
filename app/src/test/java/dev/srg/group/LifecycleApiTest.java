package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.admission.UsageType;
import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import dev.srg.testing.TestHttp;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The lifecycle over HTTP on a simulated clock (SPEC RG-3..RG-9): every test moves the one clock
 * forward, so each measures from its own groups' times.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@SimulatedClock(shortUsageRetention = true)
class LifecycleApiTest extends ServerTestBase {
    // ---- helpers ----

    /** Moves the clock to at most {@code target} (within a second before it), running every job. */
    static void advanceTo(Instant target) {
        long millis = Duration.between(now(), target).toMillis();
        advance(Duration.ofSeconds(Math.max(0, millis / 1000)));
    }

    static JsonNode group(String id) {
        return admin.get("resource-groups/" + id).json();
    }

    /**
     * RUNNING a minute before {@code due}, or frozen no earlier than it: the clock runs on with real
     * time, and on a loaded machine the advance before (every job of a week, for every group of the
     * class) can outlast the minute.
     */
    static void assertNotFrozenBefore(String id, Instant due) {
        JsonNode g = group(id);
        if (!g.get("status").asString().equals("RUNNING")) {
            assertThat(time(g, "frozenAt")).as(g.toString()).isAfterOrEqualTo(due);
        }
    }

    static String status(String id) {
        return group(id).path("status").asString();
    }

    static Instant time(JsonNode n, String field) {
        return Instant.parse(n.get(field).asString());
    }

    static TestHttp.Response submit(String workspaceId, String groupId, String script, double cu) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", workspaceId);
        body.put("resourceGroupId", groupId);
        body.put("type", "SHELL");
        body.put("script", script);
        body.put("cu", cu);
        return admin.post("instances", body);
    }

    static String submitOk(String workspaceId, String groupId, String script, double cu) {
        var r = submit(workspaceId, groupId, script, cu);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    static String workspace(String groupId) {
        return fx.workspace(groupId).get("id").asString();
    }

    static List<JsonNode> orders(String groupId, String type) {
        List<JsonNode> items = new ArrayList<>();
        admin.get("orders?pageSize=1000&resourceGroupId=" + groupId + (type == null ? "" : "&type=" + type)).json()
                .get("items").forEach(items::add);
        return items;
    }

    static List<String> auditActions(String resourceId) {
        List<String> actions = new ArrayList<>();
        admin.get("audit-events?pageSize=1000&actor=system").json().get("items").forEach(e -> {
            if (resourceId.equals(e.path("resourceId").asString())) {
                actions.add(e.path("action").asString());
            }
        });
        return actions;
    }

    // ---- RG-7 freeze ----

    @Test
    @DisplayName("SPEC RG-7: a pay-as-you-go group idle for exactly 7 days is FROZEN, not a minute before; it admits nothing until enabled")
    void freezeAfterSevenIdleDays() {
        JsonNode g = fx.payAsYouGoGroup(4);
        String id = g.get("id").asString();
        String ws = workspace(id);
        Instant since = time(g, "createdAt");
        Instant due = since.plus(Duration.ofDays(7));
        advanceTo(due.minusSeconds(60));
        assertNotFrozenBefore(id, due);
        advance(Duration.ofSeconds(61));
        JsonNode frozen = group(id);
        assertThat(frozen.get("status").asString()).isEqualTo("FROZEN");
        assertThat(time(frozen, "frozenAt")).isAfterOrEqualTo(due);
        assertThat(auditActions(id)).contains("resource-group.freeze");

        var refused = submit(ws, id, "true", 1);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("ResourceGroup.Frozen");

        var enabled = admin.post("resource-groups/" + id + "/enable", null);
        assertThat(enabled.status()).as(enabled.toString()).isEqualTo(200);
        assertThat(enabled.json().get("status").asString()).isEqualTo("RUNNING");
        awaitInstance(submitOk(ws, id, "true", 1), "SUCCEEDED");
        var again = admin.post("resource-groups/" + id + "/enable", null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("ResourceGroup.NotFrozen");

        // enabling starts a new 7-day window; a subscription group is never frozen
        JsonNode sub = fx.subscriptionGroup(2);
        advance(Duration.ofDays(8));
        assertThat(status(id)).isEqualTo("FROZEN");
        assertThat(status(sub.get("id").asString())).isEqualTo("RUNNING");
    }

    @Test
    @DisplayName("SPEC RG-7: a queued task survives a freeze (nothing is lost) and runs after enable")
    void queuedTaskSurvivesFreeze() {
        String id = fx.payAsYouGoGroup(2).get("id").asString();
        String ws = workspace(id);
        // a guarantee for another usage type keeps this task waiting without anything running: it queues behind a
        // task that takes the whole group, the guarantee comes, and that task goes (a submission that could never
        // start is refused, so the guarantee must come after it)
        String blocker = submitOk(ws, id, "sleep 120", 2);
        awaitInstance(blocker, "RUNNING");
        String task = submitOk(ws, id, "echo ran", 1);
        var q = admin.put("resource-groups/" + id + "/quotas", Map.of("quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 2))));
        assertThat(q.status()).as(q.toString()).isEqualTo(200);
        assertThat(admin.post("instances/" + blocker + "/cancel", null).status()).isEqualTo(200);
        awaitInstance(blocker, "CANCELLED");
        assertThat(admin.get("instances/" + task).json().get("status").asString()).isEqualTo("QUEUED");
        advance(Duration.ofDays(7).plusMinutes(1));
        assertThat(status(id)).isEqualTo("FROZEN");
        assertThat(admin.get("instances/" + task).json().get("status").asString()).isEqualTo("QUEUED");
        assertThat(admin.post("resource-groups/" + id + "/enable", null).status()).isEqualTo(200);
        assertThat(admin.put("resource-groups/" + id + "/quotas", Map.of("quotas", Map.of())).status()).isEqualTo(200);
        awaitInstance(task, "SUCCEEDED");
    }

    @Test
    @DisplayName("SPEC RG-7: not frozen when any one listed activity happened: instances of every usage type count")
    void everyActivityKeepsAGroupAwake() {
        String user = admin.get("users?pageSize=1").json().get("items").get(0).get("id").asString();
        Map<UsageType, String> groups = new EnumMap<>(UsageType.class);
        for (UsageType t : UsageType.values()) {
            groups.put(t, fx.payAsYouGoGroup(2).get("id").asString());
        }
        JsonNode control = fx.payAsYouGoGroup(2);
        String ws = workspace(null);
        advance(Duration.ofDays(3));
        Instant activity = now();
        int n = 0;
        for (var e : groups.entrySet()) {
            // what the features of each usage type record: an instance of that type that ran on the group
            server.sql("""
                    INSERT INTO instances (id, workspace_id, resource_group_id, type, usage_type, script, milli_cu, priority,
                        timeout_seconds, status, submitted_by, queued_at, started_at, finished_at)
                    VALUES (?, ?, ?, 'SHELL', ?, 'true', 250, 5, 60, 'SUCCEEDED', ?, ?, ?, ?)""",
                    "i-activity-" + e.getKey().name().toLowerCase() + "-" + (n++), ws, e.getValue(), e.getKey().name(), user,
                    activity.minusSeconds(60), activity.minusSeconds(30), activity);
        }
        advanceTo(time(control, "createdAt").plus(Duration.ofDays(7)).plusSeconds(60));
        assertThat(status(control.get("id").asString())).isEqualTo("FROZEN");
        groups.forEach((type, id) -> assertThat(status(id)).as(type + " activity").isEqualTo("RUNNING"));
        advanceTo(activity.plus(Duration.ofDays(7)).minusSeconds(60));
        groups.values().forEach(id -> assertNotFrozenBefore(id, activity.plus(Duration.ofDays(7))));
        advance(Duration.ofSeconds(120));
        groups.forEach((type, id) -> assertThat(status(id)).as(type + " activity").isEqualTo("FROZEN"));
    }

    @Test
    @DisplayName("SPEC RG-7: a task running now keeps its group awake however far the clock jumps")
    void runningTaskKeepsAwake() {
        String id = fx.payAsYouGoGroup(2).get("id").asString();
        String ws = workspace(id);
        String task = submitOk(ws, id, "sleep 60", 1);
        awaitInstance(task, "RUNNING");
        advance(Duration.ofDays(8));
        assertThat(status(id)).isEqualTo("RUNNING");
        admin.post("instances/" + task + "/cancel", null);
        awaitInstance(task, "CANCELLED");
        advance(Duration.ofDays(7).minusMinutes(1));
        assertThat(status(id)).isEqualTo("RUNNING");
        advance(Duration.ofMinutes(2));
        assertThat(status(id)).isEqualTo("FROZEN");
    }

    // ---- RG-3, RG-8 expiry, renewal, retention ----

    @Test
    @DisplayName("SPEC RG-8: a subscription EXPIRES at its end (running tasks finish, new ones are refused); renew brings it back")
    void expiryAndRenew() {
        JsonNode g = fx.subscriptionGroup(2);
        String id = g.get("id").asString();
        String ws = workspace(id);
        Instant expires = time(g, "expiresAt");
        advanceTo(expires.minusSeconds(60));
        String task = submitOk(ws, id, "sleep 3; echo done", 1);
        awaitInstance(task, "RUNNING");
        assertThat(status(id)).isEqualTo("RUNNING");
        advance(Duration.ofSeconds(120));
        assertThat(status(id)).isEqualTo("EXPIRED");
        assertThat(auditActions(id)).contains("resource-group.expire");
        var refused = submit(ws, id, "true", 1);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("ResourceGroup.Expired");
        assertThat(awaitInstance(task, "SUCCEEDED", "FAILED", "CANCELLED").get("status").asString()).isEqualTo("SUCCEEDED");

        var renew = admin.post("resource-groups/" + id + "/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 2)));
        assertThat(renew.status()).as(renew.toString()).isEqualTo(200);
        JsonNode renewed = renew.json().get("resourceGroup");
        assertThat(renewed.get("status").asString()).isEqualTo("RUNNING");
        JsonNode order = renew.json().get("order");
        assertThat(order.get("type").asString()).isEqualTo("RENEW");
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo("200"); // 2 CU x 50 x 2 months
        assertThat(time(renewed, "expiresAt")).isEqualTo(time(order, "periodEnd"));
        assertThat(Duration.between(now(), time(renewed, "expiresAt")).toDays()).isBetween(58L, 62L);
        awaitInstance(submitOk(ws, id, "true", 1), "SUCCEEDED");
    }

    @Test
    @DisplayName("SPEC RG-3: auto-renewal renews monthly a day before expiry at the current price, and catches up after a jump")
    void autoRenew() {
        Map<String, Object> body = fx.subscriptionBody(fx.network(), 3);
        body.put("autoRenew", true);
        var created = admin.post("resource-groups", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        JsonNode g = fx.awaitRunning(id);
        Instant expires = time(g, "expiresAt");
        assertThat(orders(id, "CREATE")).singleElement().satisfies(o -> assertThat(o.get("amount").decimalValue()).isEqualByComparingTo("150"));

        advanceTo(expires.minus(Duration.ofDays(1)).minusSeconds(60));
        // the simulated clock runs on with real time: on a loaded machine the renewal may already
        // be due; what must hold is that none was made before a day before expiry
        assertThat(orders(id, "AUTO_RENEW")).allSatisfy(early ->
                assertThat(time(early, "createdAt")).isAfterOrEqualTo(expires.minus(Duration.ofDays(1))));
        advance(Duration.ofSeconds(120));
        List<JsonNode> renewals = orders(id, "AUTO_RENEW");
        assertThat(renewals).hasSize(1);
        assertThat(renewals.get(0).get("amount").decimalValue()).isEqualByComparingTo("150");
        assertThat(time(renewals.get(0), "periodStart")).isEqualTo(expires);
        assertThat(time(group(id), "expiresAt")).isEqualTo(time(renewals.get(0), "periodEnd"));

        advance(Duration.ofDays(92));
        renewals = orders(id, "AUTO_RENEW");
        assertThat(renewals).hasSizeBetween(4, 5);
        for (int i = 1; i < renewals.size(); i++) {
            assertThat(time(renewals.get(i), "periodStart")).isEqualTo(time(renewals.get(i - 1), "periodEnd"));
        }
        JsonNode now = group(id);
        assertThat(now.get("status").asString()).isEqualTo("RUNNING");
        assertThat(time(now, "expiresAt")).isAfter(now().plus(Duration.ofDays(1)));
        assertThat(auditActions(id)).contains("resource-group.auto-renew");

        // turned off, the group expires at the end of what was paid
        var off = admin.patch("resource-groups/" + id, Map.of("autoRenew", false));
        assertThat(off.status()).as(off.toString()).isEqualTo(200);
        assertThat(off.json().get("autoRenew").asBoolean()).isFalse();
        advanceTo(time(now, "expiresAt").plusSeconds(1));
        assertThat(status(id)).isEqualTo("EXPIRED");
    }

    @Test
    @DisplayName("SPEC RG-8: an expired group not renewed is RELEASED after the retention period and dissociated from its workspaces")
    void releaseAfterRetention() {
        JsonNode g = fx.subscriptionGroup(2);
        String id = g.get("id").asString();
        String ws = workspace(id);
        Instant expires = time(g, "expiresAt");
        advanceTo(expires.plus(Duration.ofDays(15)).minusSeconds(60));
        assertThat(status(id)).isEqualTo("EXPIRED");
        advance(Duration.ofSeconds(120));
        JsonNode released = group(id);
        assertThat(released.get("status").asString()).isEqualTo("RELEASED");
        assertThat(released.get("workspaceIds")).isEmpty();
        JsonNode w = admin.get("workspaces/" + ws).json();
        assertThat(w.get("resourceGroupIds")).isEmpty();
        assertThat(w.has("defaultResourceGroupId")).isFalse();
        assertThat(auditActions(id)).contains("resource-group.release", "resource-group.released");
        var renew = admin.post("resource-groups/" + id + "/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1)));
        assertThat(renew.status()).isEqualTo(409);
        assertThat(renew.code()).isEqualTo("ResourceGroup.Released");
    }

    @Test
    @DisplayName("SPEC RG-8: unsubscribing releases after the running tasks end; queued ones are cancelled; workspaces are dissociated")
    void unsubscribe() {
        String id = fx.payAsYouGoGroup(2).get("id").asString();
        String ws = workspace(id);
        String running = submitOk(ws, id, "sleep 60", 2);
        awaitInstance(running, "RUNNING");
        String queued = submitOk(ws, id, "true", 1);
        assertThat(admin.delete("resource-groups/" + id).status()).isEqualTo(204);
        assertThat(status(id)).isEqualTo("RELEASING");
        assertThat(admin.get("instances/" + queued).json().get("status").asString()).isEqualTo("CANCELLED");
        assertThat(admin.get("instances/" + running).json().get("status").asString()).isEqualTo("RUNNING");
        var refused = submit(ws, id, "true", 1);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("ResourceGroup.Released");
        var again = admin.delete("resource-groups/" + id);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("ResourceGroup.Released");

        admin.post("instances/" + running + "/cancel", null);
        awaitInstance(running, "CANCELLED");
        advance(Duration.ZERO);
        JsonNode released = group(id);
        assertThat(released.get("status").asString()).isEqualTo("RELEASED");
        assertThat(released.get("workspaceIds")).isEmpty();
        assertThat(admin.get("workspaces/" + ws).json().has("defaultResourceGroupId")).isFalse();

        // a group with nothing running is released at once
        String idle = fx.subscriptionGroup(2).get("id").asString();
        assertThat(admin.delete("resource-groups/" + idle).status()).isEqualTo(204);
        assertThat(status(idle)).isEqualTo("RELEASED");
    }

    // ---- RG-5 scale ----

    @Test
    @DisplayName("SPEC RG-5: scale-out is SCALING while it takes effect and costs the added CUs prorated to the period's end")
    void scaleOut() {
        JsonNode g = fx.subscriptionGroup(4);
        String id = g.get("id").asString();
        var r = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 8));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode scaling = r.json().get("resourceGroup");
        assertThat(scaling.get("status").asString()).isEqualTo("SCALING");
        assertThat(scaling.get("specCu").asInt()).isEqualTo(4);
        assertThat(scaling.get("targetSpecCu").asInt()).isEqualTo(8);
        assertThat(r.json().has("warnings")).isFalse();
        JsonNode order = r.json().get("order");
        assertThat(order.get("type").asString()).isEqualTo("SCALE_OUT");
        long remaining = Duration.between(time(order, "createdAt"), time(g, "expiresAt")).toMillis();
        // the month's price of the 4 added CUs, times the share of the month (its own length, 28 to 31 days) left
        long month = Duration.between(time(g, "createdAt"), time(g, "expiresAt")).toMillis();
        BigDecimal expected = BigDecimal.valueOf(4 * 50L * remaining).divide(BigDecimal.valueOf(month), 6, RoundingMode.HALF_UP);
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo(expected);

        var busy = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 6));
        assertThat(busy.status()).isEqualTo(409);
        assertThat(busy.code()).isEqualTo("ResourceGroup.IncorrectStatus");
        advance(Duration.ofSeconds(31));
        JsonNode done = group(id);
        assertThat(done.get("status").asString()).isEqualTo("RUNNING");
        assertThat(done.get("specCu").asInt()).isEqualTo(8);
        assertThat(done.has("targetSpecCu")).isFalse();
        assertThat(admin.get("resource-groups/" + id + "/usage").json().get("capacityCu").asInt()).isEqualTo(8);

        var same = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 8));
        assertThat(same.status()).isEqualTo(400);
        assertThat(same.code()).isEqualTo("InvalidParameter.Spec.Unchanged");
        var payg = admin.post("resource-groups/" + fx.payAsYouGoGroup(4).get("id").asString() + "/scale", Map.of("specCu", 8));
        assertThat(payg.status()).isEqualTo(409);
        assertThat(payg.code()).isEqualTo("ResourceGroup.NotSubscription");
        assertThat(admin.put("resource-groups/" + id + "/quotas", Map.of("quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 5))))
                .status()).isEqualTo(200);
        var belowMinimums = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 4));
        assertThat(belowMinimums.status()).isEqualTo(400);
        assertThat(belowMinimums.code()).isEqualTo("InvalidParameter.Spec.BelowMinimumQuotas");
        assertThat(belowMinimums.field()).isEqualTo("specCu");
    }

    @Test
    @DisplayName("SPEC RG-5: scaling in below what is in use warns, kills nothing, and new tasks queue until usage fits")
    void scaleInBelowUse() {
        String id = fx.subscriptionGroup(8).get("id").asString();
        String ws = workspace(id);
        String big = submitOk(ws, id, "sleep 60", 6);
        awaitInstance(big, "RUNNING");
        var r = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 2, "clientToken", "scale-in-1"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().get("warnings").get(0).asString()).contains("below").contains("queue");
        assertThat(r.json().get("order").get("type").asString()).isEqualTo("SCALE_IN");
        assertThat(r.json().get("order").get("amount").decimalValue()).isEqualByComparingTo("0");
        // the same token answers the same order
        var repeat = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 2, "clientToken", "scale-in-1"));
        assertThat(repeat.json().get("order").get("id").asString()).isEqualTo(r.json().get("order").get("id").asString());
        advance(Duration.ofSeconds(31));
        assertThat(group(id).get("specCu").asInt()).isEqualTo(2);
        assertThat(admin.get("instances/" + big).json().get("status").asString()).isEqualTo("RUNNING");
        String small = submitOk(ws, id, "true", 1);
        assertThat(admin.get("instances/" + small).json().get("status").asString()).isEqualTo("QUEUED");
        admin.post("instances/" + big + "/cancel", null);
        awaitInstance(small, "SUCCEEDED");
    }

    @Test
    @DisplayName("SPEC ADM-2: minimum quotas set while a group is SCALING or CONVERTING must fit the spec it moves to,"
            + " or the change completes into a group whose every submission fails")
    void quotasDuringATransitionFitTheTargetSpec() {
        // scale-in pending: the spec is still 4, the group moves to 2
        String id = fx.subscriptionGroup(4).get("id").asString();
        String ws = workspace(id);
        var scale = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 2));
        assertThat(scale.status()).as(scale.toString()).isEqualTo(200);
        assertThat(status(id)).isEqualTo("SCALING");
        var quotas = admin.put("resource-groups/" + id + "/quotas",
                Map.of("quotas", Map.of("SCHEDULING", Map.of("minCu", 2), "DATA_SERVICE", Map.of("minCu", 1))));
        assertThat(quotas.status()).as(quotas.toString()).isEqualTo(400);
        assertThat(quotas.code()).isEqualTo("InvalidParameter.Quota.MinimumsAboveSpec");
        assertThat(quotas.json().get("detail").asString()).contains("2 CU");
        var schedule = admin.put("resource-groups/" + id + "/quota-schedule", Map.of("profiles", List.of(Map.of(
                "name", "night", "cron", "0 1 * * *", "durationMinutes", 60,
                "quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 3))))));
        assertThat(schedule.status()).as(schedule.toString()).isEqualTo(400);
        assertThat(schedule.code()).isEqualTo("InvalidParameter.Quota.MinimumsAboveSpec");
        // what fits the target is accepted while SCALING
        assertThat(admin.put("resource-groups/" + id + "/quotas",
                Map.of("quotas", Map.of("SCHEDULING", Map.of("minCu", 2)))).status()).isEqualTo(200);
        advance(Duration.ofSeconds(31));
        JsonNode scaled = group(id);
        assertThat(scaled.get("status").asString()).isEqualTo("RUNNING");
        assertThat(scaled.get("specCu").asInt()).isEqualTo(2);
        assertThat(submit(ws, id, "true", 0.5).status()).isEqualTo(201);
        assertThat(admin.put("resource-groups/" + id + "/concurrency", Map.of("schedulingMaxRunning", 10)).status()).isEqualTo(200);

        // pay-as-you-go of 8 CU converting to a subscription of 4
        String payg = fx.payAsYouGoGroup(8).get("id").asString();
        String pws = workspace(payg);
        var convert = admin.post("resource-groups/" + payg + "/convert",
                Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1), "specCu", 4));
        assertThat(convert.status()).as(convert.toString()).isEqualTo(200);
        var converting = admin.put("resource-groups/" + payg + "/quotas",
                Map.of("quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 6))));
        assertThat(converting.status()).as(converting.toString()).isEqualTo(400);
        assertThat(converting.code()).isEqualTo("InvalidParameter.Quota.MinimumsAboveSpec");
        advance(Duration.ofSeconds(61));
        assertThat(status(payg)).isEqualTo("RUNNING");
        assertThat(admin.get("resource-groups/" + payg + "/quotas").json().get("quotas").size()).isZero();
        assertThat(submit(pws, payg, "true", 0.5).status()).isEqualTo(201);
    }

    // ---- RG-6 convert ----

    @Test
    @DisplayName("SPEC RG-6: pay-as-you-go converts to subscription (CONVERTING for the configured time, tasks unaffected); the reverse is refused")
    void convert() {
        String id = fx.payAsYouGoGroup(8).get("id").asString();
        String ws = workspace(id);
        String task = submitOk(ws, id, "sleep 5; echo still here", 1);
        awaitInstance(task, "RUNNING");
        var r = admin.post("resource-groups/" + id + "/convert",
                Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1), "autoRenew", true, "specCu", 4));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode converting = r.json().get("resourceGroup");
        assertThat(converting.get("status").asString()).isEqualTo("CONVERTING");
        assertThat(converting.get("targetSpecCu").asInt()).isEqualTo(4);
        assertThat(r.json().get("order").get("type").asString()).isEqualTo("CONVERT");
        assertThat(r.json().get("order").get("amount").decimalValue()).isEqualByComparingTo("200");
        var scale = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", 6));
        assertThat(scale.status()).isEqualTo(409);
        assertThat(scale.code()).isEqualTo("ResourceGroup.IncorrectStatus");
        // still admitting while CONVERTING
        String during = submitOk(ws, id, "true", 1);
        awaitInstance(during, "SUCCEEDED");

        advance(Duration.ofSeconds(30));
        assertThat(status(id)).isEqualTo("CONVERTING");
        advance(Duration.ofSeconds(31));
        JsonNode done = group(id);
        assertThat(done.get("status").asString()).isEqualTo("RUNNING");
        assertThat(done.get("billingMode").asString()).isEqualTo("SUBSCRIPTION");
        assertThat(done.get("specCu").asInt()).isEqualTo(4);
        assertThat(done.has("maxCu")).isFalse();
        assertThat(done.get("autoRenew").asBoolean()).isTrue();
        assertThat(done.get("networks").get(0).get("dataService").asBoolean()).isTrue();
        assertThat(awaitInstance(task, "SUCCEEDED", "FAILED", "CANCELLED").get("status").asString()).isEqualTo("SUCCEEDED");

        var back = admin.post("resource-groups/" + id + "/convert", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1)));
        assertThat(back.status()).isEqualTo(409);
        assertThat(back.code()).isEqualTo("ResourceGroup.Convert.ToPayAsYouGoNotSupported");
        var explicit = admin.post("resource-groups/" + id + "/convert", Map.of("billingMode", "PAY_AS_YOU_GO"));
        assertThat(explicit.status()).isEqualTo(409);
        assertThat(explicit.code()).isEqualTo("ResourceGroup.Convert.ToPayAsYouGoNotSupported");
    }

    // ---- RG-9 billing ----

    @Test
    @DisplayName("SPEC RG-9: pay-as-you-go bills equal the sum of the instances' CU x run time, exactly, split by hour and idempotent")
    void billsEqualInstanceCuSeconds() {
        String id = fx.payAsYouGoGroup(8).get("id").asString();
        String ws = workspace(id);
        List<String> ids = new ArrayList<>();
        ids.add(submitOk(ws, id, "sleep 0.3", 0.25));
        ids.add(submitOk(ws, id, "true", 1.5));
        ids.add(submitOk(ws, id, "sleep 1", 2));
        String spanning = submitOk(ws, id, "sleep 4", 1);
        ids.add(spanning);
        awaitInstance(spanning, "RUNNING");
        advance(Duration.ofHours(2)); // the running one is metered across the hours meanwhile
        long lines = admin.get("bills/summary?resourceGroupId=" + id).json().get("lines").asLong();
        assertThat(lines).isGreaterThanOrEqualTo(2);
        BigDecimal expected = BigDecimal.ZERO;
        for (String i : ids) {
            JsonNode done = awaitInstance(i, "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT");
            long millis = time(done, "finishedAt").toEpochMilli() - time(done, "startedAt").toEpochMilli();
            expected = expected.add(done.get("cu").decimalValue().multiply(BigDecimal.valueOf(millis)).movePointLeft(3));
        }
        advance(Duration.ZERO);
        JsonNode summary = admin.get("bills/summary?resourceGroupId=" + id).json();
        assertThat(summary.get("cuSeconds").decimalValue()).isEqualByComparingTo(expected);
        assertThat(expected).isGreaterThan(BigDecimal.valueOf(7200)); // two hours of 1 CU at least
        BigDecimal sumOfLines = BigDecimal.ZERO;
        BigDecimal amounts = BigDecimal.ZERO;
        for (JsonNode line : admin.get("bills?pageSize=1000&resourceGroupId=" + id).json().get("items")) {
            sumOfLines = sumOfLines.add(line.get("cuSeconds").decimalValue());
            amounts = amounts.add(line.get("amount").decimalValue());
            assertThat(line.get("cuSeconds").decimalValue()).isLessThanOrEqualTo(BigDecimal.valueOf(8 * 3600));
        }
        assertThat(sumOfLines).isEqualByComparingTo(expected);
        assertThat(summary.get("amount").decimalValue()).isEqualByComparingTo(amounts);
        assertThat(summary.get("currency").asString()).isEqualTo("USD");
        // metering again counts nothing twice
        advance(Duration.ZERO);
        assertThat(admin.get("bills/summary?resourceGroupId=" + id).json().get("cuSeconds").decimalValue()).isEqualByComparingTo(expected);

        // subscription usage is not metered; its orders carry the charge
        String sub = fx.subscriptionGroup(2).get("id").asString();
        awaitInstance(submitOk(workspace(sub), sub, "true", 1), "SUCCEEDED");
        advance(Duration.ZERO);
        assertThat(admin.get("bills/summary?resourceGroupId=" + sub).json().get("lines").asLong()).isZero();
        assertThat(orders(sub, "CREATE")).singleElement().satisfies(o -> assertThat(o.get("amount").decimalValue()).isEqualByComparingTo("100"));
        assertThat(orders(id, "CREATE")).singleElement().satisfies(o -> assertThat(o.get("amount").decimalValue()).isEqualByComparingTo("0"));
    }

    @Test
    @DisplayName("bad input to the lifecycle actions answers 4xx naming the field, and changes nothing")
    void badInput() {
        String sub = fx.subscriptionGroup(2).get("id").asString();
        String payg = fx.payAsYouGoGroup(2).get("id").asString();
        record Case(TestHttp.Response r, int status, String code, String field) {}
        for (Case c : List.of(
                new Case(admin.post("resource-groups/" + sub + "/scale", Map.of()), 400, "MissingParameter", "specCu"),
                new Case(admin.post("resource-groups/" + sub + "/scale", Map.of("specCu", 2.5)), 400, "InvalidParameter.Spec", "specCu"),
                new Case(admin.post("resource-groups/" + sub + "/scale", Map.of("specCu", 4, "size", 1)), 400,
                        "InvalidParameter.UnknownField", null),
                new Case(admin.post("resource-groups/" + sub + "/renew", Map.of("billingCycle", Map.of("unit", "WEEK", "count", 1))),
                        400, "InvalidParameter.Enum", null),
                new Case(admin.post("resource-groups/" + sub + "/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 13))),
                        400, "InvalidParameter.BillingCycle", "billingCycle.count"),
                new Case(admin.post("resource-groups/" + payg + "/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1))),
                        409, "ResourceGroup.NotSubscription", null),
                new Case(admin.post("resource-groups/" + payg + "/convert", Map.of()), 400, "MissingParameter", "billingCycle"),
                new Case(admin.post("resource-groups/" + payg + "/convert",
                        Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1), "specCu", 1)), 400, "InvalidParameter.Spec", "specCu"),
                new Case(admin.patch("resource-groups/" + payg, Map.of("autoRenew", true)), 409, "ResourceGroup.NotSubscription", "autoRenew"),
                new Case(admin.post("resource-groups/rg-none/scale", Map.of("specCu", 4)), 404, "ResourceGroup.NotFound", null),
                new Case(admin.get("bills?from=yesterday"), 400, "InvalidParameter.Time", "from"),
                new Case(admin.get("bills?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"), 400, "InvalidParameter.TimeRange", "to"),
                new Case(admin.get("orders?type=REFUND"), 400, "InvalidParameter.Enum", "type"))) {
            assertThat(c.r().status()).as(c.r().toString()).isEqualTo(c.status());
            assertThat(c.r().code()).as(c.r().toString()).isEqualTo(c.code());
            if (c.field() != null) {
                assertThat(c.r().field()).as(c.r().toString()).isEqualTo(c.field());
            }
        }
        assertThat(orders(sub, null)).hasSize(1);
        assertThat(orders(payg, null)).hasSize(1);
        assertThat(status(sub)).isEqualTo("RUNNING");
        assertThat(group(sub).get("specCu").asInt()).isEqualTo(2);
        assertThat(status(payg)).isEqualTo("RUNNING");
    }

    // ---- ACC-1 and the clock's access ----

    @Test
    @DisplayName("SPEC ACC-1: scale, convert, renew and unsubscribe need OrderAccess and ResourceGroupFullAccess; the clock is for administrators")
    void access() {
        String sub = fx.subscriptionGroup(2).get("id").asString();
        String payg = fx.payAsYouGoGroup(2).get("id").asString();
        TestHttp groupsOnly = fx.user("ResourceGroupFullAccess").http();
        TestHttp ordersOnly = fx.user("OrderAccess").http();
        for (TestHttp who : List.of(groupsOnly, ordersOnly)) {
            String missing = who == groupsOnly ? "OrderAccess" : "ResourceGroupFullAccess";
            for (TestHttp.Response r : List.of(
                    who.post("resource-groups/" + sub + "/scale", Map.of("specCu", 3)),
                    who.post("resource-groups/" + sub + "/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1))),
                    who.post("resource-groups/" + payg + "/convert", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1))),
                    who.delete("resource-groups/" + sub))) {
                assertThat(r.status()).as(r.toString()).isEqualTo(403);
                assertThat(r.json().get("detail").asString()).contains(missing);
            }
        }
        assertThat(groupsOnly.get("orders").status()).isEqualTo(403);
        assertThat(ordersOnly.get("orders").status()).isEqualTo(200);
        assertThat(ordersOnly.get("bills").status()).isEqualTo(200);
        assertThat(status(sub)).isEqualTo("RUNNING");
        assertThat(groupsOnly.post("clock/advance", Map.of("seconds", 1)).status()).isEqualTo(403);
        var negative = admin.post("clock/advance", Map.of("seconds", -1));
        assertThat(negative.status()).isEqualTo(400);
        assertThat(negative.field()).isEqualTo("seconds");
        assertThat(admin.get("orders/ord-nope").status()).isEqualTo(404);
    }
}
