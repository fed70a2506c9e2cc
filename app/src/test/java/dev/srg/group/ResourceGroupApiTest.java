package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.HeldTransaction;
import dev.srg.testing.ServerTestBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ResourceGroupApiTest extends ServerTestBase {
    @Test
    @DisplayName("SPEC RG-1 RG-3 RG-4: a subscription group is created CREATING, becomes RUNNING, expires after its cycle")
    void subscriptionLifecycleStart() {
        var body = fx.subscriptionBody(fx.network(), 8);
        body.put("billingCycle", Map.of("unit", "MONTH", "count", 3));
        body.put("autoRenew", true);
        var r = admin.post("resource-groups", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode g = r.json();
        assertThat(g.get("status").asString()).isEqualTo("CREATING");
        assertThat(g.get("billingMode").asString()).isEqualTo("SUBSCRIPTION");
        assertThat(g.get("specCu").asInt()).isEqualTo(8);
        assertThat(g.has("maxCu")).isFalse();
        assertThat(g.get("autoRenew").asBoolean()).isTrue();
        assertThat(g.get("networks")).hasSize(1);
        assertThat(g.get("networks").get(0).get("dataService").asBoolean()).isTrue();
        Instant created = Instant.parse(g.get("createdAt").asString());
        Instant expires = Instant.parse(g.get("expiresAt").asString());
        assertThat(expires).isEqualTo(created.atOffset(ZoneOffset.UTC).plusMonths(3).toInstant());
        JsonNode running = fx.awaitRunning(r.id());
        assertThat(running.get("status").asString()).isEqualTo("RUNNING");
        assertThat(admin.get("audit-events?actor=system").text()).contains(r.id());
    }

    @Test
    @DisplayName("SPEC RG-1 RG-2: a pay-as-you-go group has a maxCu of at most 500, no cycle, no expiry")
    void payAsYouGo() {
        var r = admin.post("resource-groups", fx.payAsYouGoBody(fx.network(), 500));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("maxCu").asInt()).isEqualTo(500);
        assertThat(r.json().has("specCu")).isFalse();
        assertThat(r.json().has("expiresAt")).isFalse();
        assertThat(r.json().has("autoRenew")).isFalse();
        assertThat(r.json().get("networks").get(0).get("dataService").asBoolean()).isFalse();
    }

    @Test
    @DisplayName("SPEC RG-2: subscription specs are whole CUs of at least 2; pay-as-you-go maxCu at most 500")
    void specLimits() {
        var net = fx.network();
        for (Object bad : new Object[] {1, 2.5, 0, -2, 1001, 0.25}) {
            var body = fx.subscriptionBody(net, 2);
            body.put("specCu", bad);
            var r = admin.post("resource-groups", body);
            assertThat(r.status()).as("specCu %s: %s", bad, r).isEqualTo(400);
            assertThat(r.field()).isEqualTo("specCu");
        }
        for (Object bad : new Object[] {501, 0.5, 1000, 0}) {
            var body = fx.payAsYouGoBody(net, 1);
            body.put("maxCu", bad);
            var r = admin.post("resource-groups", body);
            assertThat(r.status()).as("maxCu %s: %s", bad, r).isEqualTo(400);
            assertThat(r.field()).isEqualTo("maxCu");
        }
        var ok = fx.subscriptionBody(net, 2);
        assertThat(admin.post("resource-groups", ok).status()).isEqualTo(201);
    }

    @Test
    @DisplayName("SPEC RG-3: a subscription needs a billing cycle of 1-12 months or 1-5 years")
    void billingCycle() {
        var net = fx.network();
        var body = fx.subscriptionBody(net, 2);
        body.remove("billingCycle");
        assertThat(admin.post("resource-groups", body).field()).isEqualTo("billingCycle");
        body.put("billingCycle", Map.of("unit", "MONTH", "count", 13));
        assertThat(admin.post("resource-groups", body).field()).isEqualTo("billingCycle.count");
        body.put("billingCycle", Map.of("unit", "WEEK", "count", 1));
        var r = admin.post("resource-groups", body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("InvalidParameter.Enum");
        body.put("billingCycle", Map.of("unit", "YEAR", "count", 2));
        assertThat(admin.post("resource-groups", body).status()).isEqualTo(201);
        var payg = fx.payAsYouGoBody(net, 10);
        payg.put("billingCycle", Map.of("unit", "MONTH", "count", 1));
        assertThat(admin.post("resource-groups", payg).field()).isEqualTo("billingCycle");
    }

    @Test
    @DisplayName("SPEC RG-10: the same client token returns the same group; another body with it is 409")
    void idempotentCreate() {
        var body = fx.subscriptionBody(fx.network(), 4);
        body.put("clientToken", "token-" + System.nanoTime());
        var first = admin.post("resource-groups", body);
        var second = admin.post("resource-groups", body);
        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(201);
        assertThat(second.id()).isEqualTo(first.id());
        body.put("specCu", 6);
        var mismatch = admin.post("resource-groups", body);
        assertThat(mismatch.status()).isEqualTo(409);
        assertThat(mismatch.code()).isEqualTo("IdempotentParameterMismatch");
    }

    @Test
    @DisplayName("SPEC RG-10: concurrent creates with one client token make one group")
    void idempotentConcurrentCreate() throws Exception {
        var body = fx.subscriptionBody(fx.network(), 2);
        body.put("clientToken", "race-" + System.nanoTime());
        Set<String> ids = java.util.Collections.synchronizedSet(new HashSet<>());
        java.util.List<java.util.concurrent.Future<?>> creates = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                creates.add(pool.submit(() -> {
                    var r = admin.post("resource-groups", body);
                    assertThat(r.status()).as(r.toString()).isEqualTo(201);
                    ids.add(r.id());
                }));
            }
        }
        // each create's own assertion counts (left in its thread, a failed one only dropped its id)
        for (var create : creates) {
            create.get();
        }
        assertThat(ids).hasSize(1);
    }

    @Test
    @DisplayName("lists filter by region and status and page with pageToken")
    void listFiltersAndPaging() {
        var net = fx.network();
        for (int i = 0; i < 5; i++) {
            assertThat(admin.post("resource-groups", fx.payAsYouGoBody(net, 4)).status()).isEqualTo(201);
        }
        Set<String> seen = new HashSet<>();
        String token = null;
        int pages = 0;
        do {
            var page = admin.get("resource-groups?pageSize=2&regionId=local" + (token == null ? "" : "&pageToken=" + token)).json();
            assertThat(page.get("items").size()).isLessThanOrEqualTo(2);
            page.get("items").forEach(i -> assertThat(seen.add(i.get("id").asString())).isTrue());
            token = page.hasNonNull("nextPageToken") ? page.get("nextPageToken").asString() : null;
            pages++;
        } while (token != null);
        assertThat(seen.size()).isGreaterThanOrEqualTo(5);
        assertThat(pages).isGreaterThanOrEqualTo(3);
        assertThat(admin.get("resource-groups?regionId=th-bangkok").json().get("items")).isEmpty();
        var bad = admin.get("resource-groups?status=SLEEPING");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.field()).isEqualTo("status");
        assertThat(admin.get("resource-groups?pageSize=0").status()).isEqualTo(400);
        assertThat(admin.get("resource-groups?pageToken=@@@").status()).isEqualTo(400);
    }

    @Test
    @DisplayName("a group can be renamed and its remark changed, until it is released")
    void renameAndDelete() {
        var g = fx.subscriptionGroup(2);
        String id = g.get("id").asString();
        var r = admin.patch("resource-groups/" + id, Map.of("name", "renamed", "remark", "for ETL"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().get("name").asString()).isEqualTo("renamed");
        assertThat(r.json().get("remark").asString()).isEqualTo("for ETL");
        assertThat(admin.patch("resource-groups/" + id, Map.of()).status()).isEqualTo(400);
        // SPEC RG-8: nothing runs on it, so it is released at once; a released group cannot be changed
        assertThat(admin.delete("resource-groups/" + id).status()).isEqualTo(204);
        assertThat(admin.get("resource-groups/" + id).json().get("status").asString()).isEqualTo("RELEASED");
        var renamed = admin.patch("resource-groups/" + id, Map.of("name", "again"));
        assertThat(renamed.status()).isEqualTo(409);
        assertThat(renamed.code()).isEqualTo("ResourceGroup.Released");
    }

    @Test
    @DisplayName("SPEC RG-8: a task submitted while its group is released, committed after the release cancelled the queue, is cancelled too, not QUEUED for good")
    void submittedWhileReleased() throws Exception {
        String groupId = fx.payAsYouGoGroup(4).get("id").asString();
        // associated, not its default: a release clears a default in the workspace's row, which the test holds
        String wsId = fx.workspace(null).get("id").asString();
        var attach = admin.post("workspaces/" + wsId + "/resource-groups", Map.of("resourceGroupId", groupId));
        assertThat(attach.status()).as(attach.toString()).isEqualTo(201);
        String instanceId;
        try (var held = new HeldTransaction(server.database())) {
            // the submission has read the group RUNNING; its INSERT waits here (the workspace's foreign key)
            held.sql("SELECT id FROM workspaces WHERE id = ? FOR UPDATE", wsId);
            var submit = HeldTransaction.send(() -> admin.post("instances", Map.of("workspaceId", wsId, "resourceGroupId", groupId,
                    "type", "SHELL", "script", "true", "cu", 0.25)));
            held.awaitAWaiter(submit);
            assertThat(submit).as("the submission waits on the held row").isNotDone();
            var release = admin.delete("resource-groups/" + groupId);
            assertThat(release.status()).as(release.toString()).isEqualTo(204);
            assertThat(admin.get("resource-groups/" + groupId).json().get("status").asString()).isEqualTo("RELEASED");
            held.commit();
            var r = submit.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            instanceId = r.id();
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(1)).pollInterval(java.time.Duration.ofMillis(100))
                .untilAsserted(() -> {
                    server.runBackgroundJobs();
                    var i = admin.get("instances/" + instanceId).json();
                    assertThat(i.get("status").asString()).as(i.toString()).isEqualTo("CANCELLED");
                });
        assertThat(server.sqlLong("SELECT count(*) FROM audit_events WHERE action = 'resource-group.release.cancel-queued'"
                + " AND resource_id = '" + groupId + "'")).isEqualTo(1);
    }

    @Test
    @DisplayName("SPEC RG-8: a submission whose insert waited for a release's commit does not start its task on the RELEASING group")
    void noStartInTheSubmissionAfterAReleaseCommitted() throws Exception {
        String groupId = fx.payAsYouGoGroup(4).get("id").asString();
        String wsId = fx.workspace(null).get("id").asString();
        var attach = admin.post("workspaces/" + wsId + "/resource-groups", Map.of("resourceGroupId", groupId));
        assertThat(attach.status()).as(attach.toString()).isEqualTo(201);
        String instanceId;
        try (var held = new HeldTransaction(server.database())) {
            // what a release's transaction holds and commits: the group's row locked, RELEASING; the submission (which read
            // the group RUNNING) waits on that row for its instance's foreign key, then goes on before the server has told
            // admission (the release's limitsChanged comes after its commit)
            held.sql("SELECT id FROM resource_groups WHERE id = ? FOR UPDATE", groupId);
            held.sql("UPDATE resource_groups SET status = 'RELEASING' WHERE id = ?", groupId);
            var submit = HeldTransaction.send(() -> admin.post("instances", Map.of("workspaceId", wsId, "resourceGroupId", groupId,
                    "type", "SHELL", "script", "true", "cu", 0.25)));
            held.awaitAWaiter(submit);
            assertThat(submit).as("the submission waits on the held row").isNotDone();
            held.commit();
            var r = submit.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            instanceId = r.id();
            assertThat(r.json().get("status").asString()).as("nothing starts on a RELEASING group").isEqualTo("QUEUED");
        }
        // the release's sweep cancels it (never started), and the group is RELEASED
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(1)).pollInterval(java.time.Duration.ofMillis(100))
                .untilAsserted(() -> {
                    server.runBackgroundJobs();
                    var i = admin.get("instances/" + instanceId).json();
                    assertThat(i.get("status").asString()).as(i.toString()).isEqualTo("CANCELLED");
                    assertThat(i.has("startedAt") && !i.get("startedAt").isNull()).as(i.toString()).isFalse();
                    assertThat(admin.get("resource-groups/" + groupId).json().get("status").asString()).isEqualTo("RELEASED");
                });
    }
}
