package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * The server is killed with SIGKILL while its group runs and queues tasks; started again, it
 * finishes every task exactly once, with its real exit code and log, and drains the queue in order.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class WorkPreservingRestartTest {

    @Test
    @DisplayName("work-preserving restart: after kill -9 every task finishes exactly once with its exit code and log")
    void killAndRestart() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-restart");
        // the tasks run as the unprivileged task user and append here (not under /tmp: each task has its own)
        Path side = dev.srg.testing.TaskReachableDirectories.sideEffectsLog("srg-restart-");
        try {
            killAndRestart(dir, side);
        } finally {
            dev.srg.testing.TaskReachableDirectories.remove(side);
        }
    }

    private static void killAndRestart(Path dir, Path side) throws Exception {
        List<String> ids = new ArrayList<>();
        try (ServerProcess first = ServerProcess.start(dir, "--provisioning-delay-ms", "0")) {
            TestHttp http = first.http(dir);
            String ws = ServerProcess.workspaceOnARunningGroup(http);
            for (int i = 0; i < 12; i++) {
                String script = "echo \"$SRG_INSTANCE_ID start\" >> " + side + "; echo working " + i + "; sleep 2; "
                        + "echo \"$SRG_INSTANCE_ID end\" >> " + side + "; exit " + (i % 3);
                var r = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", 0.5));
                assertThat(r.status()).as(r.toString()).isEqualTo(201);
                ids.add(r.id());
            }
            // four run (2 CU / 0.5 CU), eight wait
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    http.get("instances?status=RUNNING").json().get("items").size() == 4);
            first.kill();
        }

        try (ServerProcess second = ServerProcess.start(dir)) {
            TestHttp http = second.http(dir);
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() ->
                    ids.stream().allMatch(id -> http.get("instances/" + id).json().get("status").asString()
                            .matches("SUCCEEDED|FAILED")));
            for (int i = 0; i < ids.size(); i++) {
                JsonNode inst = http.get("instances/" + ids.get(i)).json();
                assertThat(inst.get("exitCode").asInt()).as(ids.get(i)).isEqualTo(i % 3);
                assertThat(inst.get("status").asString()).isEqualTo(i % 3 == 0 ? "SUCCEEDED" : "FAILED");
                assertThat(http.get("instances/" + ids.get(i) + "/log").text()).isEqualTo("working " + i + "\n");
            }
        }
        List<String> lines = Files.readAllLines(side);
        for (String id : ids) {
            assertThat(lines).as("side effects of " + id).containsOnlyOnce(id + " start", id + " end");
        }
        // the queue drained in order: tasks started in the order they were submitted (tasks launched
        // within the same millisecond may write their first line in either order, hence the window)
        List<String> starts = lines.stream().filter(l -> l.endsWith(" start")).map(l -> l.split(" ")[0]).toList();
        assertThat(starts.subList(0, 4)).containsExactlyInAnyOrderElementsOf(ids.subList(0, 4));
        for (int i = 4; i < ids.size(); i++) {
            assertThat(Math.abs(starts.indexOf(ids.get(i)) - i)).as("start position of task " + i).isLessThan(4);
        }
    }
}
