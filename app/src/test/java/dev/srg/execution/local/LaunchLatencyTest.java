package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.shell;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitStatus;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Measures the time from {@code launch} to the task's first instruction, with and without cgroups.
 * A measurement, not a check: tagged stress, run with {@code -Dsrg.test.excludedGroups=none}.
 */
@Tag("stress")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LaunchLatencyTest {

    private static final int RUNS = 50;

    @Test
    void launchToFirstInstruction() throws Exception {
        try (BackendFixture fixture = new BackendFixture()) {
            measure("with cgroups", fixture, LocalBackendConfig.defaults(fixture.baseDirectory));
        }
        try (BackendFixture fixture = new BackendFixture()) {
            measure("without cgroups", fixture, fixture.withoutUsableCgroups());
        }
    }

    private static void measure(String label, BackendFixture fixture, LocalBackendConfig config) throws Exception {
        BackendFixture.Exits exits = new BackendFixture.Exits();
        LocalExecutionBackend measured = fixture.backend(config, exits);
        List<Double> firstInstruction = new ArrayList<>();
        List<Double> launchCall = new ArrayList<>();
        List<Double> exitReported = new ArrayList<>();
        for (int run = 0; run < RUNS + 5; run++) {
            String id = newId();
            Instant before = Instant.now();
            long start = System.nanoTime();
            measured.launch(shell(id, "echo $EPOCHREALTIME\ntrue\n"));
            long returned = System.nanoTime();
            ExitStatus exit = exits.await(id);
            long reported = System.nanoTime();
            assertThat(exit.succeeded()).isTrue();
            Instant first = epoch(fixture.log(measured, id).strip());
            if (run >= 5) { // warm-up
                firstInstruction.add(Duration.between(before, first).toNanos() / 1e6);
                launchCall.add((returned - start) / 1e6);
                exitReported.add((reported - start) / 1e6);
            }
        }
        System.out.printf("%s (%s): launch->first instruction median %.1f ms (p90 %.1f), launch() call %.1f ms, "
                        + "launch->exit reported %.1f ms%n", label, measured.limitsSupport().note(),
                median(firstInstruction), percentile(firstInstruction, 0.9), median(launchCall), median(exitReported));
    }

    /**
     * The compiled supervisor against supervisor.sh, interleaved task by task so that a busy
     * machine hurts both the same: wall time from launch to the exit reported, and the CPU time of
     * everything a launch runs (the supervisor, the task, the network's commands), read as this
     * JVM's reaped children's time (/proc/self/stat cutime + cstime).
     */
    @Test
    void compiledSupervisorAgainstTheScript() throws Exception {
        try (BackendFixture fixture = new BackendFixture()) {
            BackendFixture.Exits exits = new BackendFixture.Exits();
            LocalExecutionBackend compiled = fixture.backend(exits);
            LocalExecutionBackend script = fixture.backendWithProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY, "script", exits);
            List<LocalExecutionBackend> backends = List.of(compiled, script);
            long[] cpuTicks = new long[2];
            List<List<Double>> wall = List.of(new ArrayList<>(), new ArrayList<>());
            for (int run = 0; run < RUNS + 5; run++) {
                for (int b = 0; b < 2; b++) {
                    String id = newId();
                    long ticks = childrenCpuTicks();
                    long start = System.nanoTime();
                    backends.get(b).launch(shell(id, "true\n"));
                    assertThat(exits.await(id).succeeded()).isTrue();
                    long took = System.nanoTime() - start;
                    if (run >= 5) {
                        wall.get(b).add(took / 1e6);
                        cpuTicks[b] += childrenCpuTicks() - ticks;
                    }
                }
            }
            double tick = 1000.0 / 100; // USER_HZ
            System.out.printf("compiled supervisor: launch->exit median %.1f ms (p90 %.1f), CPU %.1f ms per task; "
                            + "supervisor.sh: median %.1f ms (p90 %.1f), CPU %.1f ms per task; %s%n",
                    median(wall.get(0)), percentile(wall.get(0), 0.9), cpuTicks[0] * tick / RUNS,
                    median(wall.get(1)), percentile(wall.get(1), 0.9), cpuTicks[1] * tick / RUNS,
                    compiled.enforcement(shell("i-x", "true")).network().note());
        }
    }

    /**
     * The launcher (a fork of the compiled supervisor per task, no exec) against ProcessBuilder
     * (jspawnhelper, then the supervisor's exec), interleaved task by task: launch → the task's
     * first instruction, and the CPU time of the launch — this JVM's own and its reaped children's,
     * plus the launcher's own and its reaped children's (the supervisors it started).
     */
    @Test
    void launcherAgainstProcessBuilder() throws Exception {
        try (BackendFixture fixture = new BackendFixture()) {
            BackendFixture.Exits exits = new BackendFixture.Exits();
            LocalExecutionBackend launcher = fixture.backend(exits);
            LocalExecutionBackend processBuilder = fixture.backendWithProperty(LocalExecutionBackend.LAUNCHER_PROPERTY, "off", exits);
            long launcherPid = launcher.launcherPid().orElseThrow();
            List<LocalExecutionBackend> backends = List.of(launcher, processBuilder);
            long[] cpuTicks = new long[2];
            List<List<Double>> first = List.of(new ArrayList<>(), new ArrayList<>());
            int runs = Integer.getInteger("srg.launch.runs", 200);
            for (int run = 0; run < runs + 10; run++) {
                for (int b = 0; b < 2; b++) {
                    String id = newId();
                    long ticks = cpuTicks("self") + cpuTicks(Long.toString(launcherPid));
                    Instant before = Instant.now();
                    backends.get(b).launch(shell(id, "echo $EPOCHREALTIME\n"));
                    assertThat(exits.await(id).succeeded()).isTrue();
                    Thread.sleep(20);
                    if (run >= 10) {
                        first.get(b).add(Duration.between(before, epoch(fixture.log(backends.get(b), id).strip())).toNanos() / 1e6);
                        cpuTicks[b] += cpuTicks("self") + cpuTicks(Long.toString(launcherPid)) - ticks;
                    }
                }
            }
            double tick = 1000.0 / 100; // USER_HZ
            System.out.printf("launcher: launch->first instruction median %.2f ms (p90 %.2f), CPU %.2f ms per task; "
                            + "ProcessBuilder: median %.2f ms (p90 %.2f), CPU %.2f ms per task (%d tasks each)%n",
                    median(first.get(0)), percentile(first.get(0), 0.9), cpuTicks[0] * tick / runs,
                    median(first.get(1)), percentile(first.get(1), 0.9), cpuTicks[1] * tick / runs, runs);
        }
    }

    /** utime + stime + cutime + cstime of a process ("self" or a pid), in clock ticks. */
    private static long cpuTicks(String process) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + process + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    private static long childrenCpuTicks() throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[13]) + Long.parseLong(f[14]); // cutime, cstime
    }

    private static Instant epoch(String seconds) {
        BigDecimal value = new BigDecimal(seconds);
        return Instant.ofEpochSecond(value.longValue(), value.remainder(BigDecimal.ONE).movePointRight(9).longValue());
    }

    private static double median(List<Double> values) {
        return percentile(values, 0.5);
    }

    private static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }
}
