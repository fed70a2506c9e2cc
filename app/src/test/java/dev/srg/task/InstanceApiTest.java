package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class InstanceApiTest extends ServerTestBase {
    static Map<String, Object> task(String workspaceId, String script, double cu) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", workspaceId);
        body.put("type", "SHELL");
        body.put("script", script);
        body.put("cu", cu);
        return body;
    }

    static JsonNode awaitFinal(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }

    @Test
    @DisplayName("SPEC WS-3 RT-2 MON-3 ADM-1: a task without a group runs on the workspace default; it reports exit code, times and consumption")
    void runsOnDefaultGroup() {
        // SPEC RT-2: Shell and Python tasks each name their group (here: the default)
        // SPEC ADM-1: both count as the SCHEDULING usage type
        String rg = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var r = admin.post("instances", task(ws, "echo hello from $SRG_INSTANCE_ID; exit 3", 0.5));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("resourceGroupId").asString()).isEqualTo(rg);
        assertThat(r.json().get("usageType").asString()).isEqualTo("SCHEDULING");
        JsonNode done = awaitFinal(r.id());
        assertThat(done.get("status").asString()).isEqualTo("FAILED");
        assertThat(done.get("exitCode").asInt()).isEqualTo(3);
        assertThat(done.get("failureReason").asString()).isEqualTo("NON_ZERO_EXIT");
        assertThat(done.get("waitMillis").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(done.get("runMillis").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(done.has("startedAt") && done.has("finishedAt") && done.has("queuedAt")).isTrue();
        JsonNode consumption = done.get("consumption");
        assertThat(consumption.get("cpuSeconds").asDouble()).isGreaterThanOrEqualTo(0);
        assertThat(consumption.get("cuSeconds").asDouble()).isCloseTo(0.5 * done.get("runMillis").asLong() / 1000.0,
                org.assertj.core.data.Offset.offset(0.01));
        var log = admin.get("instances/" + r.id() + "/log");
        assertThat(log.text()).isEqualTo("hello from " + r.id() + "\n");
        var py = admin.post("instances", Map.of("workspaceId", ws, "type", "PYTHON", "script", "print(6*7)", "cu", 0.25));
        JsonNode pyDone = awaitFinal(py.id());
        assertThat(pyDone.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(admin.get("instances/" + py.id() + "/log").text()).isEqualTo("42\n");
    }

    @Test
    @DisplayName("what ran is kept: the script shows on the instance for its workspace's members and administrators, not in lists nor to other readers")
    void keepsTheScript() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        String script = "echo kept; # a comment that only the script has";
        String id = admin.post("instances", task(ws, script, 0.25)).id();
        awaitFinal(id);
        assertThat(admin.get("instances/" + id).json().get("payload").get("script").asString()).isEqualTo(script);
        var visitor = fx.user();
        admin.put("workspaces/" + ws + "/members/" + visitor.id(), Map.of("role", "VISITOR"));
        assertThat(visitor.http().get("instances/" + id).json().get("payload").get("script").asString()).isEqualTo(script);
        // a group manager sees every instance's metadata, but what a workspace runs stays with the workspace
        var manager = fx.user("ResourceGroupFullAccess");
        JsonNode seen = manager.http().get("instances/" + id).json();
        assertThat(seen.get("id").asString()).isEqualTo(id);
        assertThat(seen.has("payload")).isFalse();
        assertThat(admin.get("instances?resourceGroupId=" + rg).json().get("items").get(0).has("payload")).isFalse();
    }

    @Test
    @DisplayName("SPEC ACC-5: a submission is audited once, its entry committed with the instance; a repeat and a refusal are audited too")
    void submissionAudited() {
        // SPEC ACC-5: the entry of a created instance is written in the INSERT's transaction (issue 17)
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var user = fx.user();
        admin.put("workspaces/" + ws + "/members/" + user.id(), Map.of("role", "DEVELOPER"));
        var body = task(ws, "true", 0.25);
        body.put("clientToken", "audit-once");
        var created = user.http().post("instances", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        var again = user.http().post("instances", body);
        assertThat(again.id()).isEqualTo(created.id());
        var refused = task(ws, "true", 0.25);
        refused.put("priority", 11);
        assertThat(user.http().post("instances", refused).code()).isEqualTo("InvalidParameter.Priority");
        JsonNode events = admin.get("audit-events?pageSize=1000&actor=" + user.name()).json().get("items");
        List<JsonNode> submits = new java.util.ArrayList<>();
        events.forEach(e -> {
            if (e.get("action").asString().equals("POST /api/v1/instances")) {
                submits.add(e);
            }
        });
        assertThat(submits).hasSize(3);
        assertThat(submits).filteredOn(e -> e.path("resourceId").asString("").equals(created.id()))
                .hasSize(2)
                .allSatisfy(e -> {
                    assertThat(e.get("result").asString()).isEqualTo("201");
                    assertThat(e.get("actionName").asString()).isEqualTo("Submit a task instance");
                });
        assertThat(submits).filteredOn(e -> e.get("result").asString().startsWith("400")).hasSize(1);
        awaitFinal(created.id());
    }

    @Test
    @DisplayName("SPEC ACC-5 WS-1 WS-3: a submission's token, read with its workspace and group, is refused at once when not valid or revoked, with the same 401 as any route's and before the body's checks; roles apply per workspace")
    void submitAuthentication() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var user = fx.user();
        var bad = server.as("not-a-valid-token");
        var elsewhere = bad.get("workspaces");
        assertThat(elsewhere.status()).isEqualTo(401);
        for (var refused : List.of(bad.post("instances", task(ws, "true", 0.25)),
                bad.post("instances", Map.of("workspaceId", ws, "priority", "not a number")),
                bad.post("instances?dryRun=true", task(ws, "true", 0.25)),
                server.as("x".repeat(201)).post("instances", task(ws, "true", 0.25)))) {
            assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
            assertThat(refused.contentType()).isEqualTo(elsewhere.contentType());
            assertThat(refused.json().get("code")).isEqualTo(elsewhere.json().get("code"));
            assertThat(refused.json().get("detail")).isEqualTo(elsewhere.json().get("detail"));
        }
        // not a member: the workspace is not found for this caller; a VISITOR may not run tasks
        assertThat(user.http().post("instances", task(ws, "true", 0.25)).status()).isEqualTo(404);
        admin.put("workspaces/" + ws + "/members/" + user.id(), Map.of("role", "VISITOR"));
        assertThat(user.http().post("instances", task(ws, "true", 0.25)).code()).isEqualTo("Forbidden.WorkspaceRole");
        admin.put("workspaces/" + ws + "/members/" + user.id(), Map.of("role", "DEVELOPER"));
        var created = user.http().post("instances", task(ws, "true", 0.25));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("resourceGroupId").asString()).isEqualTo(rg); // SPEC WS-3: the default
        // a body the checks refuse, from a valid token: 400, and audited with the caller
        var refusedBody = user.http().post("instances", Map.of("workspaceId", ws, "priority", "not a number"));
        assertThat(refusedBody.status()).isEqualTo(400);
        JsonNode events = admin.get("audit-events?pageSize=1000&actor=" + user.name()).json().get("items");
        List<String> results = new java.util.ArrayList<>();
        events.forEach(e -> results.add(e.get("result").asString()));
        assertThat(results).anySatisfy(r -> assertThat(r).startsWith("400"));
        // revoked: refused on the very next submission (no cache of tokens)
        assertThat(server.sql("UPDATE tokens SET revoked_at = now() WHERE user_id = ?", user.id())).isEqualTo(1);
        var revoked = user.http().post("instances", task(ws, "true", 0.25));
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.json().get("detail")).isEqualTo(elsewhere.json().get("detail"));
        awaitFinal(created.id());
    }

    @Test
    @DisplayName("SPEC ADM-5: a task that fits and has no queue ahead starts in its submission's commit; one behind is QUEUED; a rolled-back submission gives its room back")
    void startsInTheSubmissionsCommit() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        // the client token is checked after the INSERT and the start, in the same transaction: its
        // refusal rolls both back, and the ledger must not keep the 2 CU it had counted (issue 17)
        var refused = task(ws, "sleep 60", 2);
        refused.put("clientToken", "x".repeat(65));
        assertThat(admin.post("instances", refused).code()).isEqualTo("InvalidParameter.ClientToken");
        assertThat(admin.get("resource-groups/" + rg + "/usage").json().get("usedCu").asDouble()).isZero();
        assertThat(admin.get("instances?resourceGroupId=" + rg).json().get("items")).isEmpty();
        // room and an empty queue: STARTING in the answer, its launch committed with the INSERT
        var first = admin.post("instances", task(ws, "sleep 60", 2));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.json().get("status").asString()).isEqualTo("STARTING");
        // no room: QUEUED, as before; it starts when the first ends
        var second = admin.post("instances", task(ws, "true", 2));
        assertThat(second.json().get("status").asString()).isEqualTo("QUEUED");
        assertThat(admin.post("instances/" + first.id() + "/cancel", null).status()).isEqualTo(200);
        assertThat(awaitFinal(first.id()).get("status").asString()).isEqualTo("CANCELLED");
        assertThat(awaitFinal(second.id()).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    @DisplayName("SPEC WS-1: a task may use only a group associated with its workspace")
    void onlyAssociatedGroups() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String other = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var body = task(ws, "true", 0.25);
        body.put("resourceGroupId", other);
        var r = admin.post("instances", body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("InvalidParameter.ResourceGroup.NotAssociated");
        String bare = admin.post("workspaces", Map.of("name", "bare", "regionId", "local")).id();
        var noDefault = admin.post("instances", task(bare, "true", 0.25));
        assertThat(noDefault.field()).isEqualTo("resourceGroupId");
        var outsider = fx.user();
        assertThat(outsider.http().post("instances", task(ws, "true", 0.25)).status()).isEqualTo(404);
    }

    @Test
    @DisplayName("SPEC ADM-3: compute tasks take at most 64 CU, more than 16 is warned; cu is a multiple of 0.25 within the group")
    void perTaskLimits() {
        String rg = fx.subscriptionGroup(100).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var tooLarge = admin.post("instances", task(ws, "true", 64.25));
        assertThat(tooLarge.code()).isEqualTo("InvalidParameter.Cu.TooLarge");
        // the unit once: ComputeUnits prints its own "CU"
        assertThat(tooLarge.json().get("detail").asString()).isEqualTo("a SHELL task may use at most 64 CU, got 64.25 CU");
        assertThat(admin.post("instances", task(ws, "true", 0.3)).code()).isEqualTo("InvalidParameter.ComputeUnits");
        assertThat(admin.post("instances", task(ws, "true", 0)).code()).isEqualTo("InvalidParameter.ComputeUnits");
        var big = admin.post("instances", task(ws, "true", 17));
        assertThat(big.status()).isEqualTo(201);
        assertThat(big.json().get("warnings").get(0).asString()).startsWith("more than 16 CU for one task");
        assertThat(admin.post("instances", task(ws, "true", 16)).json().has("warnings")).isFalse();
        String small = fx.subscriptionGroup(2).get("id").asString();
        String ws2 = fx.workspace(small).get("id").asString();
        assertThat(admin.post("instances", task(ws2, "true", 2.25)).code()).isEqualTo("InvalidParameter.Cu.ExceedsCapacity");
        var prio = task(ws2, "true", 1);
        prio.put("priority", 11);
        assertThat(admin.post("instances", prio).field()).isEqualTo("priority");
    }

    @Test
    @DisplayName("SPEC ADM-5 MON-2: what does not fit queues, visible per usage type with its position and reason, and starts when it fits")
    void queueAndUsage() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var blocker = admin.post("instances", task(ws, "sleep 30", 2));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("instances/" + blocker.id()).json()
                .get("status").asString().equals("RUNNING"));
        var waiting = admin.post("instances", task(ws, "echo done", 1));
        assertThat(waiting.json().get("status").asString()).isEqualTo("QUEUED");
        assertThat(waiting.json().get("queue").get("position").asInt()).isEqualTo(1);
        assertThat(waiting.json().get("queue").get("reason").asString()).isEqualTo("CAPACITY");
        JsonNode usage = admin.get("resource-groups/" + rg + "/usage").json();
        assertThat(usage.get("capacityCu").asInt()).isEqualTo(2);
        assertThat(usage.get("usedCu").asInt()).isEqualTo(2);
        assertThat(usage.get("utilization").asDouble()).isEqualTo(1.0);
        assertThat(usage.get("byUsageType").get("SCHEDULING").get("running").asInt()).isEqualTo(1);
        assertThat(usage.get("byUsageType").get("SCHEDULING").get("queued").asInt()).isEqualTo(1);
        var queued = admin.get("instances?resourceGroupId=" + rg + "&status=QUEUED&usageType=SCHEDULING").json().get("items");
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).get("queue").get("reason").asString()).isEqualTo("CAPACITY");
        // SPEC ADM-2: a quota change re-runs admission at once; here the cancel frees the capacity
        var cancelled = admin.post("instances/" + blocker.id() + "/cancel", null);
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(awaitFinal(blocker.id()).get("status").asString()).isEqualTo("CANCELLED");
        assertThat(awaitFinal(waiting.id()).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(admin.post("instances/" + blocker.id() + "/cancel", null).code()).isEqualTo("Instance.AlreadyFinished");
    }

    @Test
    @DisplayName("SPEC ADM-4: the concurrency threshold limits running SCHEDULING tasks and changing it re-runs admission")
    void concurrencyThreshold() {
        String rg = fx.subscriptionGroup(8).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        assertThat(admin.get("resource-groups/" + rg + "/concurrency").json().get("schedulingMaxRunning").asInt()).isEqualTo(50);
        assertThat(admin.put("resource-groups/" + rg + "/concurrency", Map.of("schedulingMaxRunning", 201)).field())
                .isEqualTo("schedulingMaxRunning");
        assertThat(admin.put("resource-groups/" + rg + "/concurrency", Map.of("schedulingMaxRunning", 0)).status()).isEqualTo(400);
        assertThat(admin.put("resource-groups/" + rg + "/concurrency", Map.of("schedulingMaxRunning", 1)).status()).isEqualTo(200);
        var a = admin.post("instances", task(ws, "sleep 30", 0.25));
        var b = admin.post("instances", task(ws, "echo b", 0.25));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("instances/" + a.id()).json()
                .get("status").asString().equals("RUNNING"));
        assertThat(admin.get("instances/" + b.id()).json().get("queue").get("reason").asString()).isEqualTo("CONCURRENCY");
        assertThat(admin.put("resource-groups/" + rg + "/concurrency", Map.of("schedulingMaxRunning", 2)).status()).isEqualTo(200);
        assertThat(awaitFinal(b.id()).get("status").asString()).isEqualTo("SUCCEEDED");
        admin.post("instances/" + a.id() + "/cancel", null);
        awaitFinal(a.id());
    }

    @Test
    @DisplayName("SPEC ADM-2: quotas: minimums sum to at most the spec, a maximum caps its type, and a change re-runs admission")
    void quotas() {
        String rg = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var tooMuch = admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of(
                "DATA_INTEGRATION", Map.of("minCu", 3), "DATA_SERVICE", Map.of("minCu", 2))));
        assertThat(tooMuch.code()).isEqualTo("InvalidParameter.Quota.MinimumsAboveSpec");
        var minAboveMax = admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of("SCHEDULING", Map.of("minCu", 2, "maxCu", 1))));
        assertThat(minAboveMax.field()).isEqualTo("quotas.SCHEDULING.minCu");
        assertThat(admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of("GAMING", Map.of("minCu", 1)))).code())
                .isEqualTo("InvalidParameter.Enum");
        // a maximum of 1 CU for SCHEDULING: the second 1-CU task waits for the quota
        var ok = admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of("SCHEDULING", Map.of("maxCu", 1),
                "DATA_INTEGRATION", Map.of("minCu", 2))));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(admin.get("resource-groups/" + rg + "/quotas").json().get("quotas").get("DATA_INTEGRATION").get("minCu").asInt())
                .isEqualTo(2);
        var a = admin.post("instances", task(ws, "sleep 30", 1));
        var b = admin.post("instances", task(ws, "echo b", 1));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("instances/" + a.id()).json()
                .get("status").asString().equals("RUNNING"));
        assertThat(admin.get("instances/" + b.id()).json().get("queue").get("reason").asString()).isEqualTo("MAX_QUOTA");
        assertThat(admin.post("instances", task(ws, "true", 1.25)).code()).isEqualTo("InvalidParameter.Cu.ExceedsQuota");
        // raising the maximum lets b start at once
        assertThat(admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of("SCHEDULING", Map.of("maxCu", 2)))).status())
                .isEqualTo(200);
        assertThat(awaitFinal(b.id()).get("status").asString()).isEqualTo("SUCCEEDED");
        admin.post("instances/" + a.id() + "/cancel", null);
        awaitFinal(a.id());
    }

    @Test
    @DisplayName("SPEC ADM-5, ADM-6: a task larger than the capacity less the other types' minimums is refused at submit "
            + "(InvalidParameter.Cu.ExceedsQuota), as one over its maximum; one queued before the minimums grew waits, saying why")
    void neverFitsUnderOtherTypesMinimums() {
        String rg = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        // 2 CU run, so a 3-CU task queues for capacity
        var a = admin.post("instances", task(ws, "sleep 60", 2));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("instances/" + a.id()).json()
                .get("status").asString().equals("RUNNING"));
        var b = admin.post("instances", task(ws, "echo b", 3));
        assertThat(b.status()).as(b.toString()).isEqualTo(201);
        // DATA_INTEGRATION keeps 2 of the 4 CU: a SCHEDULING task may never take more than 2
        assertThat(admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 2))))
                .status()).isEqualTo(200);
        var refused = admin.post("instances", task(ws, "true", 2.25));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.code()).isEqualTo("InvalidParameter.Cu.ExceedsQuota");
        assertThat(refused.field()).isEqualTo("cu");
        assertThat(refused.json().get("detail").asString()).contains("minimum quotas keep 2 CU").contains("at most 2 CU");
        var dryRun = admin.post("instances?dryRun=true", task(ws, "true", 2.25));
        assertThat(dryRun.code()).as(dryRun.toString()).isEqualTo("InvalidParameter.Cu.ExceedsQuota");

        // b was taken before: it is not dropped (ADM-5); in an otherwise idle group it says why it waits
        admin.post("instances/" + a.id() + "/cancel", null);
        awaitFinal(a.id());
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode queued = admin.get("instances/" + b.id()).json();
            assertThat(queued.get("status").asString()).isEqualTo("QUEUED");
            assertThat(queued.get("queue").get("reason").asString()).isEqualTo("RESERVED_FOR_OTHER_TYPES");
            assertThat(queued.get("queue").get("estimate").asString()).contains("does not fit the group's current limits even when idle");
        });
        // a lower minimum lets it start
        assertThat(admin.put("resource-groups/" + rg + "/quotas", Map.of("quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 1))))
                .status()).isEqualTo(200);
        assertThat(awaitFinal(b.id()).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    @DisplayName("logs: read from an offset, and follow=true streams until the task ends")
    void logs() throws Exception {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var r = admin.post("instances", task(ws, "for i in 1 2 3; do echo line $i; sleep 0.3; done", 0.25));
        var followed = admin.get("instances/" + r.id() + "/log?follow=true");
        assertThat(followed.status()).isEqualTo(200);
        assertThat(followed.text()).isEqualTo("line 1\nline 2\nline 3\n");
        assertThat(admin.get("instances/" + r.id() + "/log?offset=7").text()).isEqualTo("line 2\nline 3\n");
        assertThat(admin.get("instances/" + r.id() + "/log?offset=-1").status()).isEqualTo(400);
        assertThat(admin.get("instances/i-nope/log").status()).isEqualTo(404);
    }

    @Test
    @DisplayName("SPEC NET-5: removing a VPC binding while tasks run needs force")
    void unbindWhileRunningNeedsForce() {
        var g = fx.payAsYouGoGroup(4);
        String rg = g.get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var second = fx.network();
        String bound = admin.post("resource-groups/" + rg + "/networks", Map.of("vpcId", second.vpcId(), "vswitchId", second.vswitchId())).id();
        var running = admin.post("instances", task(ws, "sleep 30", 0.25));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("instances/" + running.id()).json()
                .get("status").asString().equals("RUNNING"));
        var refused = admin.delete("resource-groups/" + rg + "/networks/" + bound);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("ResourceGroup.Network.InUse");
        assertThat(refused.field()).isEqualTo("force");
        assertThat(admin.delete("resource-groups/" + rg + "/networks/" + bound + "?force=true").status()).isEqualTo(204);
        assertThat(admin.get("audit-events?actor=admin&pageSize=1000").text()).contains("resource-group.network.force-unbind");
        admin.post("instances/" + running.id() + "/cancel", null);
        awaitFinal(running.id());
    }

    @Test
    @DisplayName("timeouts end as TIMED_OUT; the unprivileged task user runs them")
    void timeoutAndUser() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var body = task(ws, "id -u; sleep 60", 0.25);
        body.put("timeoutSeconds", 1);
        var r = admin.post("instances", body);
        JsonNode done = awaitFinal(r.id());
        assertThat(done.get("status").asString()).isEqualTo("TIMED_OUT");
        assertThat(admin.get("instances/" + r.id() + "/log").text().strip()).isNotEqualTo("0");
    }
}
