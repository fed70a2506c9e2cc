package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * A group's {@code queuePolicy} FAIR_SHARE on a real server with real tasks: one workspace floods
 * the group, another's task starts next and the queue says why; the shares survive a restart of
 * the server (rebuilt from the store's runs), so after it the quiet workspace still goes first.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FairShareServerTest {

    @Test
    @DisplayName("FAIR_SHARE: a flooding workspace's queue does not hold another's task back, before and after a restart")
    void aQuietWorkspaceGoesBeforeAFlood() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-fair-share");
        String rg;
        String a;
        String b;
        String c;
        double aBefore;
        double bBefore;
        try (ServerProcess first = ServerProcess.start(dir, "--provisioning-delay-ms", "0")) {
            TestHttp http = first.http(dir);
            String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.0/16")).id();
            String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.0.1.0/24")).id();
            // a bad policy is refused with its field, and nothing is bought
            var bad = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 2, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "vpcId", vpc, "vswitchId", vsw, "queuePolicy", "FAIRLY"));
            assertThat(bad.status()).as(bad.toString()).isEqualTo(400);
            assertThat(bad.code()).isEqualTo("InvalidParameter.Enum");
            assertThat(bad.field()).isEqualTo("queuePolicy");
            assertThat(http.get("resource-groups").json().get("items").size()).isZero();

            rg = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 2, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "vpcId", vpc, "vswitchId", vsw)).id();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                    http.get("resource-groups/" + rg).json().get("status").asString().equals("RUNNING"));
            assertThat(http.get("resource-groups/" + rg).json().get("queuePolicy").asString())
                    .as("DESIGN.md's order is the default").isEqualTo("ARRIVAL");
            var badPatch = http.patch("resource-groups/" + rg, Map.of("queuePolicy", "fair"));
            assertThat(badPatch.status()).as(badPatch.toString()).isEqualTo(400);
            assertThat(badPatch.field()).isEqualTo("queuePolicy");
            var patched = http.patch("resource-groups/" + rg, Map.of("queuePolicy", "FAIR_SHARE"));
            assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
            assertThat(patched.json().get("queuePolicy").asString()).isEqualTo("FAIR_SHARE");
            assertThat(http.get("audit-events?pageSize=1000&actor=admin").text())
                    .as("the change is audited with the old and new policy").contains("queuePolicy ARRIVAL -> FAIR_SHARE");

            a = workspace(http, "flood", rg);
            b = workspace(http, "quiet", rg);
            c = workspace(http, "other", rg);

            // workspace a floods the group: 2 of its 8 one-CU tasks run, 6 wait
            List<String> flood = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                flood.add(submit(http, a, 1, "sleep 3"));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(http, flood.get(0)).equals("RUNNING")
                    && status(http, flood.get(1)).equals("RUNNING"));
            List<String> waiting = flood.stream().filter(id -> status(http, id).equals("QUEUED")).toList();
            assertThat(waiting).as("the flood's tasks that wait when the quiet one arrives").isNotEmpty();

            // workspace b's one task goes to the head of the queue: its share (0) is below a's
            String quiet = submit(http, b, 1, "sleep 1");
            JsonNode queued = http.get("instances/" + quiet).json();
            if (queued.get("status").asString().equals("QUEUED")) {
                assertThat(queued.get("queue").get("position").asInt()).as(queued.toString()).isEqualTo(1);
                assertThat(queued.get("queue").get("workspaceShareCu").asDouble()).isZero();
                JsonNode behind = http.get("instances/" + waiting.getLast()).json().get("queue");
                if (behind != null && !behind.isNull()) {
                    assertThat(behind.get("behindWorkspaceId").asString()).as("the flood waits behind the quiet workspace")
                            .isEqualTo(b);
                }
            }
            JsonNode usage = http.get("resource-groups/" + rg + "/usage").json();
            assertThat(usage.get("queuePolicy").asString()).isEqualTo("FAIR_SHARE");
            assertThat(usage.get("shares").toString()).contains(a);

            List<String> all = new ArrayList<>(flood);
            all.add(quiet);
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() ->
                    all.stream().allMatch(id -> status(http, id).equals("SUCCEEDED")));
            // every flood task still queued when the quiet task arrived started after it (on a loaded machine some of
            // those seen queued above may have started before the quiet task was submitted: its queuedAt decides)
            Instant quietQueued = Instant.parse(http.get("instances/" + quiet).json().get("queuedAt").asString());
            Instant quietStart = startedAt(http, quiet);
            int after = 0;
            for (String id : flood) {
                Instant started = startedAt(http, id);
                if (started.isAfter(quietQueued)) {
                    assertThat(started).as("flood task %s, queued when the quiet task arrived, started after it", id)
                            .isAfterOrEqualTo(quietStart);
                    after++;
                }
            }
            assertThat(after).as("flood tasks that were still queued when the quiet task arrived").isPositive();
            aBefore = decayedCuSeconds(http, rg, a);
            bBefore = decayedCuSeconds(http, rg, b);
            assertThat(aBefore).as("the flood's past use").isGreaterThan(bBefore).isGreaterThan(0);
        }

        // the shares survive a restart: rebuilt from the store's runs, not reset
        try (ServerProcess second = ServerProcess.start(dir)) {
            TestHttp http = second.http(dir);
            double aAfter = decayedCuSeconds(http, rg, a);
            double bAfter = decayedCuSeconds(http, rg, b);
            // rebuilt from the runs' startedAt and finishedAt, where the live ledger counted from its start decision
            // to its release (the launch and the exit's recording apart), so close but not equal
            assertThat(aAfter).as("a's past use after the restart").isBetween(aBefore * 0.5, aBefore * 1.5);
            assertThat(bAfter).as("b's past use after the restart").isBetween(bBefore * 0.3, bBefore * 2);
            assertThat(aAfter).isGreaterThan(bAfter);

            // a third workspace fills the group; a and then b queue a task that needs all of it
            String blocker = submit(http, c, 2, "sleep 4");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(http, blocker).equals("RUNNING"));
            String fromA = submit(http, a, 2, "sleep 1");
            String fromB = submit(http, b, 2, "sleep 1");
            JsonNode qa = http.get("instances/" + fromA).json().get("queue");
            JsonNode qb = http.get("instances/" + fromB).json().get("queue");
            // without the rebuilt shares both would be 0 and arrival would put a first
            assertThat(qb.get("position").asInt()).as("b's task, submitted after a's: %s", qb).isEqualTo(1);
            assertThat(qa.get("position").asInt()).as("a's task: %s", qa).isEqualTo(2);
            assertThat(qa.get("behindWorkspaceId").asString()).isEqualTo(b);
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
                    List.of(blocker, fromA, fromB).stream().allMatch(id -> status(http, id).equals("SUCCEEDED")));
            assertThat(startedAt(http, fromB)).as("b's task started first").isBefore(startedAt(http, fromA));
        }
    }

    @Test
    @DisplayName("FAIR_SHARE weights on a real server: two backlogged workspaces of weights 2:1 get starts near 2:1; weights and"
            + " the half-life are validated, audited, shown, and kept across a restart")
    void weightedWorkspacesGetStartsNearTheirWeights() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-fair-weights");
        String rg;
        String a;
        String b;
        try (ServerProcess first = ServerProcess.start(dir, "--provisioning-delay-ms", "0")) {
            TestHttp http = first.http(dir);
            String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.0/16")).id();
            String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.0.1.0/24")).id();
            rg = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 3, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "vpcId", vpc, "vswitchId", vsw)).id();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                    http.get("resource-groups/" + rg).json().get("status").asString().equals("RUNNING"));
            a = workspace(http, "heavy", rg);
            b = workspace(http, "light", rg);
            String outside = http.post("workspaces", Map.of("name", "outside", "regionId", "local")).id();

            // bad values: 400 with the code and the field, and nothing of the request changes
            var shortHalfLife = http.patch("resource-groups/" + rg, Map.of("queuePolicy", "FAIR_SHARE", "shareHalfLifeSeconds", 59));
            assertThat(shortHalfLife.status()).as(shortHalfLife.toString()).isEqualTo(400);
            assertThat(shortHalfLife.code()).isEqualTo("InvalidParameter.ShareHalfLife");
            assertThat(shortHalfLife.field()).isEqualTo("shareHalfLifeSeconds");
            JsonNode unchanged = http.get("resource-groups/" + rg).json();
            assertThat(unchanged.get("queuePolicy").asString()).as("the policy in the refused request is not applied").isEqualTo("ARRIVAL");
            assertThat(unchanged.get("shareHalfLifeSeconds").asLong()).isEqualTo(3600);
            assertThat(http.patch("resource-groups/" + rg, Map.of("shareHalfLifeSeconds", 2_592_001)).code())
                    .isEqualTo("InvalidParameter.ShareHalfLife");
            var tooHeavy = http.put("resource-groups/" + rg + "/workspace-weights/" + a, Map.of("weight", 101));
            assertThat(tooHeavy.status()).as(tooHeavy.toString()).isEqualTo(400);
            assertThat(tooHeavy.code()).isEqualTo("InvalidParameter.Weight");
            assertThat(tooHeavy.field()).isEqualTo("weight");
            var negative = http.put("resource-groups/" + rg + "/workspace-weights/" + a, Map.of("weight", -1));
            assertThat(negative.code()).as(negative.toString()).isEqualTo("InvalidParameter.Weight");
            var notANumber = http.put("resource-groups/" + rg + "/workspace-weights/" + a, Map.of("weight", "two"));
            assertThat(notANumber.status()).as(notANumber.toString()).isEqualTo(400);
            var missing = http.put("resource-groups/" + rg + "/workspace-weights/" + a, Map.of());
            assertThat(missing.status()).as(missing.toString()).isEqualTo(400);
            assertThat(missing.field()).isEqualTo("weight");
            var notInGroup = http.put("resource-groups/" + rg + "/workspace-weights/" + outside, Map.of("weight", 2));
            assertThat(notInGroup.status()).as(notInGroup.toString()).isEqualTo(400);
            assertThat(notInGroup.code()).isEqualTo("InvalidParameter.Workspace.NotInGroup");
            assertThat(notInGroup.field()).isEqualTo("workspaceId");
            JsonNode weights = http.get("resource-groups/" + rg + "/workspace-weights").json();
            assertThat(weights.get("weights").toString()).as("nothing was set").doesNotContain("\"explicit\":true");
            assertThat(http.get("audit-events?pageSize=1000&actor=admin").text()).doesNotContain("resource-group.workspace-weight");

            var patched = http.patch("resource-groups/" + rg, Map.of("queuePolicy", "FAIR_SHARE", "shareHalfLifeSeconds", 60));
            assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
            assertThat(patched.json().get("shareHalfLifeSeconds").asLong()).isEqualTo(60);
            var set = http.put("resource-groups/" + rg + "/workspace-weights/" + a, Map.of("weight", 2));
            assertThat(set.status()).as(set.toString()).isEqualTo(200);
            assertThat(weightOf(set.json(), a)).isEqualTo(2);
            assertThat(weightOf(set.json(), b)).isEqualTo(1);
            String audit = http.get("audit-events?pageSize=1000&actor=admin").text();
            assertThat(audit).contains("shareHalfLifeSeconds 3600 -> 60").contains("workspace " + a + " weight 1 -> 2");

            // both workspaces stay backlogged: 3 CU, one-CU tasks; a (weight 2) should hold 2 of the 3
            List<String> fromA = new ArrayList<>();
            List<String> fromB = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                fromA.add(submit(http, a, 1, "sleep 1"));
                fromB.add(submit(http, b, 1, "sleep 1"));
            }
            JsonNode queuedA = fromA.stream().map(id -> http.get("instances/" + id).json()).filter(j -> j.get("queue") != null
                    && !j.get("queue").isNull()).findFirst().orElseThrow().get("queue");
            assertThat(queuedA.get("workspaceWeight").asInt()).as(queuedA.toString()).isEqualTo(2);
            assertThat(queuedA.get("weightedShareCu").asDouble()).isCloseTo(queuedA.get("workspaceShareCu").asDouble() / 2,
                    org.assertj.core.data.Offset.offset(0.002));
            var dryRun = http.post("instances?dryRun=true", Map.of("workspaceId", b, "type", "SHELL", "script", "true", "cu", 1));
            assertThat(dryRun.status()).as(dryRun.toString()).isEqualTo(200);
            if (!dryRun.json().get("startsNow").asBoolean()) {
                assertThat(dryRun.json().get("workspaceWeight").asInt()).as(dryRun.toString()).isEqualTo(1);
                assertThat(dryRun.json().get("weightedShareCu").asDouble()).isEqualTo(dryRun.json().get("workspaceShareCu").asDouble());
                assertThat(dryRun.json().has("idleGuarantee")).isTrue();
            }
            JsonNode usage = http.get("resource-groups/" + rg + "/usage").json();
            assertThat(usage.get("shareHalfLifeSeconds").asLong()).isEqualTo(60);
            assertThat(usage.get("shares").toString()).contains("\"weight\":2");

            List<String> all = new ArrayList<>(fromA);
            all.addAll(fromB);
            Awaitility.await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).until(() ->
                    all.stream().allMatch(id -> status(http, id).equals("SUCCEEDED")));
            // the starts while both still had tasks waiting: up to the start of the first workspace's last task
            Instant lastOfA = fromA.stream().map(id -> startedAt(http, id)).max(Instant::compareTo).orElseThrow();
            Instant lastOfB = fromB.stream().map(id -> startedAt(http, id)).max(Instant::compareTo).orElseThrow();
            Instant both = lastOfA.isBefore(lastOfB) ? lastOfA : lastOfB;
            long startsA = fromA.stream().filter(id -> !startedAt(http, id).isAfter(both)).count();
            long startsB = fromB.stream().filter(id -> !startedAt(http, id).isAfter(both)).count();
            assertThat((double) startsA / startsB).as("starts of a (weight 2) / b (weight 1) while both waited: %d / %d", startsA, startsB)
                    .isBetween(1.5, 2.7);

            // a new half-life recomputes the shares from the stored runs: with 1 h instead of 1 min, the same
            // seconds of use weigh about 60 times less (kept as they were, the shares would not move)
            double oneMinute = shareCu(http, rg, a);
            assertThat(http.patch("resource-groups/" + rg, Map.of("shareHalfLifeSeconds", 3600)).status()).isEqualTo(200);
            double oneHour = shareCu(http, rg, a);
            assertThat(oneHour).as("a's share with a half-life of 1 min (%s) and then of 1 h", oneMinute)
                    .isGreaterThan(0).isLessThan(oneMinute / 5);
            assertThat(http.patch("resource-groups/" + rg, Map.of("shareHalfLifeSeconds", 60)).status()).isEqualTo(200);
        }

        // the weights and the half-life are stored: a restart keeps them
        try (ServerProcess second = ServerProcess.start(dir)) {
            TestHttp http = second.http(dir);
            assertThat(http.get("resource-groups/" + rg).json().get("shareHalfLifeSeconds").asLong()).isEqualTo(60);
            JsonNode weights = http.get("resource-groups/" + rg + "/workspace-weights").json();
            assertThat(weightOf(weights, a)).isEqualTo(2);
            assertThat(http.get("resource-groups/" + rg + "/usage").json().get("shareHalfLifeSeconds").asLong()).isEqualTo(60);
            assertThat(http.get("resource-groups/" + rg + "/usage").json().get("shares").toString()).contains("\"weight\":2");
            // reset: the default again, audited; a second reset changes nothing
            assertThat(http.delete("resource-groups/" + rg + "/workspace-weights/" + a).status()).isEqualTo(204);
            assertThat(http.delete("resource-groups/" + rg + "/workspace-weights/" + a).status()).isEqualTo(204);
            assertThat(weightOf(http.get("resource-groups/" + rg + "/workspace-weights").json(), a)).isEqualTo(1);
            assertThat(http.get("audit-events?pageSize=1000&actor=admin").text()).contains("workspace " + a + " weight 2 -> 1 (reset)");
        }
    }

    private static double shareCu(TestHttp http, String rg, String ws) {
        for (JsonNode s : http.get("resource-groups/" + rg + "/usage").json().get("shares")) {
            if (ws.equals(s.get("workspaceId").asString())) {
                return s.get("shareCu").asDouble();
            }
        }
        return 0;
    }

    private static int weightOf(JsonNode weights, String workspaceId) {
        for (JsonNode w : weights.get("weights")) {
            if (workspaceId.equals(w.get("workspaceId").asString())) {
                return w.get("weight").asInt();
            }
        }
        throw new AssertionError(workspaceId + " not in " + weights);
    }

    private static String workspace(TestHttp http, String name, String rg) {
        var r = http.post("workspaces", Map.of("name", name, "regionId", "local", "defaultResourceGroupId", rg));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static String submit(TestHttp http, String ws, double cu, String script) {
        var r = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", cu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static String status(TestHttp http, String id) {
        return http.get("instances/" + id).json().get("status").asString();
    }

    private static Instant startedAt(TestHttp http, String id) {
        return Instant.parse(http.get("instances/" + id).json().get("startedAt").asString());
    }

    private static double decayedCuSeconds(TestHttp http, String rg, String ws) {
        for (JsonNode s : http.get("resource-groups/" + rg + "/usage").json().get("shares")) {
            if (ws.equals(s.get("workspaceId").asString())) {
                return s.get("decayedCuSeconds").asDouble();
            }
        }
        return 0;
    }
}
