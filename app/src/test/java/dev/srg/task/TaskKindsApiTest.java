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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** The kinds registry at submission, and what every launched instance records of its enforcement. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TaskKindsApiTest extends ServerTestBase {

    private static Map<String, Object> submission(String ws, String type) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", ws);
        body.put("type", type);
        body.put("cu", 0.25);
        return body;
    }

    @Test
    @DisplayName("an unknown kind is refused with 400 InvalidParameter.Type naming the registered kinds, and nothing is stored")
    void unknownKindRefused() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var before = server.snapshot();
        for (String type : List.of("RUBY", "SPARK", "shell")) {
            var body = submission(ws, type);
            body.put("script", "echo never");
            var r = admin.post("instances", body);
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.code()).isEqualTo("InvalidParameter.Type");
            assertThat(r.field()).isEqualTo("type");
            assertThat(r.json().get("detail").asString()).contains(type, "SHELL", "PYTHON");
        }
        var missing = admin.post("instances", Map.of("workspaceId", ws, "script", "echo", "cu", 0.25));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.code()).isEqualTo("MissingParameter");
        assertThat(missing.field()).isEqualTo("type");
        assertThat(server.snapshot()).isEqualTo(before);
    }

    @Test
    @DisplayName("a payload of the wrong shape is refused naming the field: a SHELL task with sync, or without its script")
    void wrongPayloadRefused() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var before = server.snapshot();
        var withSync = submission(ws, "SHELL");
        withSync.put("script", "echo x");
        withSync.put("sync", Map.of("reader", Map.of("plugin", "postgresql")));
        var r = admin.post("instances", withSync);
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("InvalidParameter.Sync");
        assertThat(r.field()).isEqualTo("sync");

        var noScript = admin.post("instances", submission(ws, "PYTHON"));
        assertThat(noScript.status()).isEqualTo(400);
        assertThat(noScript.code()).isEqualTo("MissingParameter");
        assertThat(noScript.field()).isEqualTo("script");

        var blank = submission(ws, "SHELL");
        blank.put("script", "   ");
        assertThat(admin.post("instances", blank).field()).isEqualTo("script");
        assertThat(server.snapshot()).isEqualTo(before);
    }

    @Test
    @DisplayName("SPEC ADM-1 ADM-3: the kind decides the usage type and the CU limits (64 at most, a warning above 16)")
    void kindDecidesUsageAndLimits() {
        // SPEC ADM-1: SHELL and PYTHON are compute tasks of data development: SCHEDULING
        String rg = fx.subscriptionGroup(20).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var body = submission(ws, "PYTHON");
        body.put("script", "print('ok')");
        var py = admin.post("instances", body);
        assertThat(py.status()).as(py.toString()).isEqualTo(201);
        assertThat(py.json().get("type").asString()).isEqualTo("PYTHON");
        assertThat(py.json().get("shape").asString()).isEqualTo("TASK");
        assertThat(py.json().get("usageType").asString()).isEqualTo("SCHEDULING");
        // SPEC ADM-3
        var tooLarge = submission(ws, "SHELL");
        tooLarge.put("script", "true");
        tooLarge.put("cu", 64.25);
        var refused = admin.post("instances", tooLarge);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.code()).isEqualTo("InvalidParameter.Cu.TooLarge");
        assertThat(refused.json().get("detail").asString()).contains("SHELL", "64");
        var large = submission(ws, "SHELL");
        large.put("script", "true");
        large.put("cu", 17);
        var warned = admin.post("instances", large);
        assertThat(warned.status()).as(warned.toString()).isEqualTo(201);
        assertThat(warned.json().get("warnings").toString()).contains("more than 16 CU");
        InstanceApiTest.awaitFinal(warned.id());
        InstanceApiTest.awaitFinal(py.id());
    }

    @Test
    @DisplayName("SPEC RT-3: every launched instance records which of cpu, memory, network, dns and image its backend enforced, with a note where not")
    void enforcementRecorded() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var shell = submission(ws, "SHELL");
        shell.put("script", "echo done");
        var python = submission(ws, "PYTHON");
        python.put("script", "import time; time.sleep(30)");
        String a = admin.post("instances", shell).id();
        String b = admin.post("instances", python).id();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                "RUNNING".equals(admin.get("instances/" + b).json().path("status").asString()));
        // while it runs, too
        assertEnforcement(admin.get("instances/" + b).json());
        admin.post("instances/" + b + "/cancel", null);
        for (String id : List.of(a, b)) {
            JsonNode done = InstanceApiTest.awaitFinal(id);
            assertEnforcement(done);
        }
        // a queued instance cancelled before it started was never launched: nothing to record
        var big = submission(ws, "SHELL");
        big.put("script", "sleep 30");
        big.put("cu", 2);
        var blocker = submission(ws, "SHELL");
        blocker.put("script", "sleep 30");
        blocker.put("cu", 2);
        String running = admin.post("instances", blocker).id();
        String queued = admin.post("instances", big).id();
        assertThat(admin.get("instances/" + queued).json().get("status").asString()).isEqualTo("QUEUED");
        admin.post("instances/" + queued + "/cancel", null);
        JsonNode never = InstanceApiTest.awaitFinal(queued).path("enforcement");
        assertThat(never.isNull() || never.isMissingNode()).as(never.toString()).isTrue();
        admin.post("instances/" + running + "/cancel", null);
        assertEnforcement(InstanceApiTest.awaitFinal(running));
    }

    @Test
    @DisplayName("the instances table refuses status-like values outside their types (CHECK constraints)")
    void checkConstraints() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var body = submission(ws, "SHELL");
        body.put("script", "true");
        String id = admin.post("instances", body).id();
        InstanceApiTest.awaitFinal(id);
        Map<String, String> bad = Map.of("status", "DONE", "failure_reason", "OOPS", "usage_type", "COMPUTE",
                "shape", "DAEMON", "type", "not a kind");
        bad.forEach((column, value) -> org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> server.sql("UPDATE instances SET " + column + " = ? WHERE id = ?", value, id))
                .as(column).hasMessageContaining("instances_").hasMessageContaining("_valid"));
        assertThat(admin.get("instances/" + id).json().get("status").asString()).isEqualTo("SUCCEEDED");
    }

    /** Whether the local backend can enforce networks here (SPEC RT-3: it says which). */
    static boolean canEnforceNetworks() {
        return "root".equals(System.getProperty("user.name")) && java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin/nft"));
    }

    private static void assertEnforcement(JsonNode instance) {
        JsonNode e = instance.get("enforcement");
        assertThat(e).as(instance.toString()).isNotNull();
        assertThat(e.isObject()).as(instance.toString()).isTrue();
        for (String aspect : List.of("cpu", "memory", "network", "dns", "image")) {
            JsonNode item = e.get(aspect);
            assertThat(item).as(aspect).isNotNull();
            assertThat(item.get("enforced").isBoolean()).as(aspect).isTrue();
            if (!item.get("enforced").asBoolean()) {
                assertThat(item.get("note").asString()).as(aspect + " says why not").isNotBlank();
            }
        }
        // the local backend: the group's network and private zones where it can (root, nft), else says why not
        boolean networks = canEnforceNetworks();
        assertThat(e.get("network").get("enforced").asBoolean()).isEqualTo(networks);
        assertThat(e.get("network").get("note").asString())
                .contains(networks ? "own network namespace" : "host's network namespace");
        assertThat(e.get("dns").get("enforced").asBoolean()).isEqualTo(networks);
        assertThat(e.get("dns").get("note").asString()).contains(networks ? "the task's own resolver" : "host's resolver");
        assertThat(e.get("image").get("enforced").asBoolean()).isFalse();
        assertThat(e.get("image").get("note").asString()).contains("no image requested");
        // the older fields are the cpu and memory part
        assertThat(instance.get("limitsEnforced").asBoolean())
                .isEqualTo(e.get("cpu").get("enforced").asBoolean() && e.get("memory").get("enforced").asBoolean());
        assertThat(instance.get("limitsNote").asString()).isNotBlank();
    }
}
