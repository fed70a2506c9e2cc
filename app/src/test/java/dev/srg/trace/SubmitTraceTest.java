package dev.srg.trace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code -Dsrg.trace.submit=FILE} (bench/submit-trace.py reads it): a server started with it writes,
 * when it stops, one line per submission with its status and the phases in the order they happen,
 * and the spans of the work beside it (the admission and the launch of that submission's task).
 * Its switch is read once per JVM, so the server is a process of its own here.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SubmitTraceTest {

    @Test
    void aTracedServerWritesEachSubmissionsPhasesInOrderAndTheWorkBesideIt() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-trace");
        Path trace = dir.resolve("submit.trace");
        try (ServerProcess server = ServerProcess.start(dir, ServerProcess.START_TIMEOUT,
                List.of("-D" + SubmitTrace.PROPERTY + "=" + trace), "--provisioning-delay-ms", "0")) {
            TestHttp http = server.http(dir);
            String ws = ServerProcess.workspaceOnARunningGroup(http);
            var r = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "echo traced", "cu", 0.5));
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
                    http.get("instances/" + r.id()).json().get("status").asString().equals("SUCCEEDED"));
            assertThat(trace).as("written when the server stops, not before").doesNotExist();
        }
        List<String> lines = Files.readAllLines(trace);
        List<String> submits = lines.stream().filter(l -> l.startsWith("submit ")).toList();
        assertThat(submits).as(String.join("\n", lines)).hasSize(1);
        long[] f = Arrays.stream(submits.get(0).split(" ")).skip(1).mapToLong(Long::parseLong).toArray();
        assertThat(f[0]).as("status").isEqualTo(201);
        long[] phases = Arrays.copyOfRange(f, 1, f.length);
        assertThat(phases).hasSize(SubmitTrace.Phase.values().length);
        // every phase of a submission that commits is marked (-1: not), in the order they happen
        assertThat(phases).as(submits.get(0)).doesNotContain(-1L);
        for (int i = 1; i < phases.length; i++) {
            assertThat(phases[i]).as("%s after %s in %s", SubmitTrace.Phase.values()[i], SubmitTrace.Phase.values()[i - 1], submits.get(0))
                    .isGreaterThanOrEqualTo(phases[i - 1]);
        }
        assertThat(lines).as("the task's launch beside it").anyMatch(l -> l.startsWith("span launch "));
    }
}
