package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stress profile, outside the default run: kills the server with SIGKILL at random moments while
 * clients submit tasks, hundreds of times, then checks the tasks' own side-effect log for
 * duplicates (a task ran twice), losses (an accepted task never ran) and stalls (the queue does
 * not drain). Run: {@code ./run-tests -Dtest=CrashStressTest -Dsrg.test.excludedGroups=none
 * -Dsrg.stress.rounds=200}; {@code -Dsrg.stress.serverOptions="-Dsrg.execution.holdAhead=true"} runs
 * the killed servers with those JVM options (space-separated), e.g. a launch path that is off by default.
 */
@Tag("stress")
@Timeout(value = 90, unit = TimeUnit.MINUTES)
class CrashStressTest {

    @Test
    @DisplayName("kill -9 at random moments, hundreds of times: no task runs twice, none is lost, the queue drains")
    void killAtRandom() throws Exception {
        int rounds = Integer.getInteger("srg.stress.rounds", 200);
        List<String> serverOptions = List.of(System.getProperty("srg.stress.serverOptions", "").trim().split("\\s+"))
                .stream().filter(option -> !option.isEmpty()).toList();
        Path dir = Files.createTempDirectory("srg-stress");
        try {
            killAtRandom(rounds, dir, serverOptions);
        } finally {
            // whatever path the test took (a server that did not start in time, a failed check): its embedded
            // PostgreSQL and tasks are stopped, and their gigabytes removed, now rather than when the JVM exits
            ServerProcess.stopLeftBehind();
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void killAtRandom(int rounds, Path dir, List<String> serverOptions) throws Exception {
        dir.toFile().setExecutable(true, false);
        // where tasks write: not in the server's directory under /tmp, of which each task has its own
        Path side = dev.srg.testing.TaskReachableDirectories.sideEffectsLog("srg-stress-");
        try {
            killAtRandom(rounds, dir, serverOptions, side);
        } finally {
            dev.srg.testing.TaskReachableDirectories.remove(side);
        }
    }

    private static void killAtRandom(int rounds, Path dir, List<String> serverOptions, Path side) throws Exception {
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        String workspace = null;
        long restartMillis = 0;
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            try (ServerProcess server = ServerProcess.start(dir, ServerProcess.START_TIMEOUT, serverOptions, "--provisioning-delay-ms", "0")) {
                restartMillis += (System.nanoTime() - t0) / 1_000_000;
                TestHttp http = server.http(dir);
                if (workspace == null) {
                    workspace = ServerProcess.workspaceOnARunningGroup(http);
                }
                String ws = workspace;
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    clients.add(Thread.ofVirtual().start(() -> {
                        while (!stop.get()) {
                            try {
                                int sleepMs = ThreadLocalRandom.current().nextInt(0, 400);
                                var r = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "cu", 0.25,
                                        "script", "echo \"$SRG_INSTANCE_ID\" >> " + side + "; sleep 0." + String.format("%03d", sleepMs)));
                                if (r.status() == 201) {
                                    accepted.add(r.id());
                                }
                            } catch (RuntimeException e) {
                                return; // the server is gone
                            }
                        }
                    }));
                }
                Thread.sleep(ThreadLocalRandom.current().nextLong(50, 1500));
                server.kill();
                stop.set(true);
                for (Thread t : clients) {
                    t.join(10_000);
                }
            }
        }
        // a last, clean start: everything accepted must finish, exactly once
        try (ServerProcess server = ServerProcess.start(dir, ServerProcess.START_TIMEOUT, serverOptions)) {
            TestHttp http = server.http(dir);
            Awaitility.await("the queue drains").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() ->
                    http.get("instances?status=QUEUED&pageSize=1").json().get("items").isEmpty()
                            && http.get("instances?status=STARTING&pageSize=1").json().get("items").isEmpty()
                            && http.get("instances?status=RUNNING&pageSize=1").json().get("items").isEmpty());
        }
        Map<String, Long> runs = Files.readAllLines(side).stream().filter(l -> !l.isBlank())
                .collect(Collectors.groupingBy(Function.identity(), HashMap::new, Collectors.counting()));
        List<String> twice = runs.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        List<String> lost = accepted.stream().filter(id -> !runs.containsKey(id)).toList();
        System.out.printf("stress: %d rounds (server options %s), %d tasks accepted, %d ran, mean restart %d ms, %d ran twice, %d lost%n",
                rounds, serverOptions, accepted.size(), runs.size(), restartMillis / Math.max(1, rounds), twice.size(), lost.size());
        assertThat(twice).as("tasks that ran more than once").isEmpty();
        assertThat(lost).as("accepted tasks that never ran").isEmpty();
    }
}
