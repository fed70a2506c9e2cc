package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ScriptKind;
import dev.srg.execution.WorkShape;
import dev.srg.server.ServerExtensions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The SERVICE shape through the real server, with a test-registered kind (no public service kind
 * exists yet): a real shell process that runs until stopped.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ServiceShapeTest {
    /** A test kind: its script runs as a service (registered through the composition root's extensions). */
    static final ScriptKind TEST_SERVICE = new ScriptKind("TEST_SERVICE", "bash", "service.sh", WorkShape.SERVICE);
    /**
     * What the service runs: {@code sleep} of this many seconds, a number no other process uses, so that
     * the test finds its process as the host names it (the task's own {@code $$} is its number in its
     * pid namespace: always 2).
     */
    private static final int TOKEN = 100_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(800_000);
    static TestServer server;
    static TestHttp admin;
    static Fixtures fx;

    @BeforeAll
    static void start() {
        server = TestServer.start(new ServerExtensions(List.of(TEST_SERVICE), Map.of()), UnaryOperator.identity());
        admin = server.admin();
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @DisplayName("SPEC ADM-5 ADM-1: a service holds its CU until stopped, is restarted (counted) when killed -9, and releases its CU when stopped")
    void serviceLifecycle() throws Exception {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var timed = admin.post("instances", Map.of("workspaceId", ws, "type", "TEST_SERVICE", "script", "sleep 1",
                "cu", 1, "timeoutSeconds", 60));
        assertThat(timed.status()).isEqualTo(400);
        assertThat(timed.field()).isEqualTo("timeoutSeconds");

        var r = admin.post("instances", Map.of("workspaceId", ws, "type", "TEST_SERVICE", "cu", 1,
                "script", "echo started\nexec sleep " + TOKEN + "\n"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String id = r.id();
        assertThat(r.json().get("shape").asString()).isEqualTo("SERVICE");
        assertThat(r.json().path("timeoutSeconds").isNull() || r.json().path("timeoutSeconds").isMissingNode()).isTrue();
        long firstPid = awaitPid(id, -1);
        JsonNode running = admin.get("instances/" + id).json();
        assertThat(running.get("status").asString()).isEqualTo("RUNNING");
        assertThat(running.get("restarts").asInt()).isZero();
        // visible per usage type, like tasks (ADM-5, MON-2), and holding its CU
        assertUsage(rg, 1.0, 1);
        assertThat(admin.get("instances?usageType=SCHEDULING&status=RUNNING&resourceGroupId=" + rg).json().get("items")
                .toString()).contains(id);

        // killed from outside: srg restarts it as a new run, and the CU stay held throughout
        kill9(firstPid);
        long secondPid = awaitPid(id, firstPid);
        assertThat(secondPid).isNotEqualTo(firstPid);
        JsonNode restarted = admin.get("instances/" + id).json();
        assertThat(restarted.get("restarts").asInt()).isEqualTo(1);
        assertThat(restarted.get("status").asString()).isEqualTo("RUNNING");
        assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertUsage(rg, 1.0, 1);

        // a restart of the server re-attaches to the same run: not started again, not counted again
        server.restart();
        admin = server.admin();
        Thread.sleep(1500);
        JsonNode afterRestart = admin.get("instances/" + id).json();
        assertThat(afterRestart.get("status").asString()).isEqualTo("RUNNING");
        assertThat(afterRestart.get("restarts").asInt()).isEqualTo(1);
        assertThat(ProcessHandle.of(secondPid).map(ProcessHandle::isAlive).orElse(false)).isTrue();
        assertUsage(rg, 1.0, 1);

        // stopped: final, CU released, process gone, never restarted
        var cancelled = admin.post("instances/" + id + "/cancel", null);
        assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
        JsonNode done = InstanceApiTestAccess.awaitFinal(admin, id);
        assertThat(done.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(done.get("failureReason").asString()).isEqualTo("CANCELLED");
        assertThat(done.get("restarts").asInt()).isEqualTo(1);
        assertUsage(rg, 0.0, 0);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                !ProcessHandle.of(secondPid).map(ProcessHandle::isAlive).orElse(false));
        Thread.sleep(1500);
        assertThat(admin.get("instances/" + id).json().get("restarts").asInt()).isEqualTo(1);
    }

    @Test
    @DisplayName("SPEC MON-2 ADM-5: a service waiting in its group's queue reads as queued, with its reason, alone and in lists")
    void queuedServiceReads() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var task = admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 600", "cu", 2));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        var service = admin.post("instances", Map.of("workspaceId", ws, "type", "TEST_SERVICE", "cu", 1,
                "script", "while true; do sleep 1; done\n"));
        assertThat(service.status()).as(service.toString()).isEqualTo(201);
        String id = service.id();
        try {
            // before: 500 (the estimate unboxed the service's "runs until stopped" into a long)
            var one = admin.get("instances/" + id);
            assertThat(one.status()).as(one.toString()).isEqualTo(200);
            assertThat(one.json().path("status").asString()).isEqualTo("QUEUED");
            assertThat(one.json().path("queue").path("reason").asString()).isEqualTo("CAPACITY");
            var listed = admin.get("instances?status=QUEUED&resourceGroupId=" + rg);
            assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
            assertThat(listed.json().path("items").toString()).contains(id);
        } finally {
            assertThat(admin.post("instances/" + id + "/cancel", null).status()).isEqualTo(200);
            assertThat(admin.post("instances/" + task.id() + "/cancel", null).status()).isEqualTo(200);
        }
    }

    private static void assertUsage(String rg, double usedCu, int running) {
        JsonNode usage = admin.get("resource-groups/" + rg + "/usage").json();
        assertThat(usage.get("usedCu").asDouble()).as(usage.toString()).isEqualTo(usedCu);
        JsonNode scheduling = usage.get("byUsageType").path("SCHEDULING");
        assertThat(scheduling.path("running").asInt()).as(usage.toString()).isEqualTo(running);
    }

    /** The host's pid of the current run's process, once it is not {@code not} and the instance is RUNNING. */
    private static long awaitPid(String id, long not) {
        long[] pid = {-1};
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<Long> found = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().orElse("").endsWith("sleep " + TOKEN))
                    .map(ProcessHandle::pid).filter(p -> p != not).toList();
            if (found.size() == 1 && "RUNNING".equals(admin.get("instances/" + id).json().path("status").asString())) {
                pid[0] = found.get(0);
                return true;
            }
            return false;
        });
        return pid[0];
    }

    private static void kill9(long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    /** {@link InstanceApiTest#awaitFinal} on another server's client. */
    static final class InstanceApiTestAccess {
        static JsonNode awaitFinal(TestHttp http, String id) {
            JsonNode[] last = new JsonNode[1];
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                last[0] = http.get("instances/" + id).json();
                return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
            });
            return last[0];
        }
    }
}
