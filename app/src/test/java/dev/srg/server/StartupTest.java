package dev.srg.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees when the server or the demo cannot start, and the demo's safe default address. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StartupTest {
    @TempDir
    Path dir;

    /**
     * JUnit makes its directory private, and a server run as root on a private data directory keeps
     * its PostgreSQL and tasks in /var/lib/srg/&lt;hash&gt;, which nothing would remove after the test:
     * open the directory to other users as a data directory normally is.
     */
    @BeforeEach
    void traversable() throws IOException {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aUsedDataDirectoryOrABusyPortIsOneLineAndExitTwoNeverAStackTrace() throws Exception {
        Path used = dir.resolve("used");
        try (ServerProcess first = ServerProcess.start(used)) {
            ServerProcess.Result again = ServerProcess.run("demo", "--exit", "--port", "0", "--data-dir", used.toString());
            assertThat(again.exitCode()).as(again.output()).isEqualTo(2);
            assertThat(again.output()).contains("srg: cannot start: another srg server is using the data directory " + used);
            assertNoStackTrace(again.output());

            Path other = dir.resolve("other");
            ServerProcess.Result busy = ServerProcess.run("server", "--host", "127.0.0.1", "--port", Integer.toString(first.port()),
                    "--data-dir", other.toString());
            assertThat(busy.exitCode()).as(busy.output()).isEqualTo(2);
            assertThat(busy.output()).contains("srg: cannot start: port " + first.port() + " on 127.0.0.1 is in use")
                    .doesNotContain(" ERROR "); // said once: not Javalin's "Failed to start" line as well
            assertNoStackTrace(busy.output());
            // the port is found busy after the embedded PostgreSQL started: it was stopped again
            Path pgData = runtimeDirectory(other).resolve("postgres");
            assertThat(pgData.resolve("PG_VERSION")).as("the database was initialised before the port was tried").exists();
            assertThat(pgData.resolve("postmaster.pid")).doesNotExist();
            assertThat(processesUsing(pgData)).as("processes still running on " + pgData).isEmpty();
        }
    }

    @Test
    void theDemoListensOnLoopbackUnlessAskedOtherwise() throws Exception {
        ServerProcess.Result demo = ServerProcess.run("demo", "--exit", "--port", "0", "--data-dir", dir.resolve("demo").toString());
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("(listening on 127.0.0.1;").contains("Demo data is ready");
    }

    @Test
    void helpPrintsThePercentSignWithoutPicocliWarnings() throws Exception {
        for (String command : new String[] {"server", "demo"}) {
            ServerProcess.Result help = ServerProcess.run(command, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.output()).contains("15% off years").doesNotContain("WARN").contains("(default 0.0.0.0, 127.0.0.1 for the");
        }
    }

    /**
     * The training run behind the server's AOT cache (the launcher makes the cache from it): it
     * starts a real server, calls it, runs tasks through the API and the real local backend (the
     * JIT gets the task path's profiles from it), stops it and exits 0 — a failure would leave every
     * restart without its cache, silently. It runs on a user's host in the background, possibly
     * beside a live server, so it leaves nothing: no directory, PostgreSQL or task process; no
     * process of its tasks' uids (a range no server uses); no cgroup or network namespace of its
     * tasks (named by their instance ids).
     */
    @Test
    void theServerTrainingRunLaunchesTasksAndLeavesNothingBehind() throws Exception {
        Path tmp = dir.resolve("tmp");
        Files.createDirectories(tmp);
        // two waves of the group's 8 concurrent 0.25 CU tasks: the concurrent path, then the one-at-a-time one
        int tasks = 16;
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx160m"));
        cmd.addAll(ServerProcess.JVM_OPTIONS);
        cmd.addAll(List.of("-Djava.io.tmpdir=" + tmp, "-Dsrg.training.tasks=" + tasks, "-cp", System.getProperty("java.class.path"),
                ServerTraining.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        // every task submitted (concurrently, then one at a time) was launched and succeeded
        int all = tasks + ServerTraining.ONE_AT_A_TIME;
        assertThat(output).as(output).containsPattern("srg server training: " + all + " tasks submitted, " + all + " succeeded in ");
        List<String> ids = output.lines().filter(l -> l.startsWith("instances: "))
                .flatMap(l -> java.util.Arrays.stream(l.substring("instances: ".length()).split(" "))).toList();
        assertThat(ids).hasSize(all);

        try (var left = Files.list(tmp)) {
            assertThat(left.map(f -> f.getFileName().toString())).as("left in the temporary directory")
                    .noneMatch(name -> name.startsWith("srg-server-training-"));
        }
        assertThat(processesUsing(tmp)).as("processes still running in " + tmp).isEmpty();
        long first = dev.srg.execution.local.LocalBackendConfig.TRAINING_TASK_UID_BASE;
        long last = first + dev.srg.execution.local.LocalBackendConfig.DEFAULT_TASK_UID_SLOTS - 1;
        assertThat(first).as("the training's uids are none of a server's")
                .isGreaterThan(dev.srg.execution.local.LocalBackendConfig.DEFAULT_TASK_UID_BASE
                        + dev.srg.execution.local.LocalBackendConfig.DEFAULT_TASK_UID_SLOTS - 1);
        assertThat(processesOfUids(first, last)).as("processes of the training's task uids").isEmpty();
        // its tasks ran as uids of the training's range (as root; else as the user's), and said that
        // they had no cgroups and kept the host's network
        List<Long> uids = output.lines().filter(l -> l.startsWith("task uids: "))
                .flatMap(l -> java.util.Arrays.stream(l.substring("task uids: ".length()).split(" "))).map(Long::parseLong).toList();
        assertThat(uids).as(output).isNotEmpty();
        if ("root".equals(System.getProperty("user.name"))) {
            assertThat(uids).allMatch(uid -> uid >= first && uid <= last, "in " + first + "-" + last);
        }
        assertThat(output).contains("cpu not enforced (limits not enforced: disabled by configuration)")
                .contains("network not enforced (runs in the host's network namespace: disabled by the operator");
        java.util.Set<String> names = new java.util.HashSet<>(ids);
        Path cgroups = Path.of("/sys/fs/cgroup");
        if (Files.isDirectory(cgroups)) {
            try (var walk = Files.walk(cgroups, 6)) {
                assertThat(walk.filter(Files::isDirectory).filter(d -> d.getFileName() != null
                        && names.contains(d.getFileName().toString())).toList()).as("cgroups of the training's tasks").isEmpty();
            }
        }
        Path netns = Path.of("/run/netns");
        if (Files.isDirectory(netns)) {
            try (var list = Files.list(netns)) {
                assertThat(list.map(f -> f.getFileName().toString()).filter(n -> ids.stream().anyMatch(n::endsWith)).toList())
                        .as("network namespaces of the training's tasks").isEmpty();
            }
        }
    }

    /** The processes (pids) running as a uid from {@code first} to {@code last}. */
    private static List<String> processesOfUids(long first, long last) throws IOException {
        List<String> found = new java.util.ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    for (String line : Files.readAllLines(proc.resolve("status"))) {
                        if (line.startsWith("Uid:")) {
                            long uid = Long.parseLong(line.split("\\s+")[1]);
                            if (uid >= first && uid <= last) {
                                found.add(proc.getFileName() + " (uid " + uid + ")");
                            }
                        }
                    }
                } catch (IOException e) {
                    // ended meanwhile
                }
            }
        }
        return found;
    }

    /** Where srg keeps the database of {@code dataDir} (elsewhere when the directory is private, RUNTIME-DIRECTORY says). */
    private static Path runtimeDirectory(Path dataDir) throws IOException {
        Path pointer = dataDir.resolve("RUNTIME-DIRECTORY");
        return Files.exists(pointer) ? Path.of(Files.readString(pointer).strip()) : dataDir;
    }

    /** The processes whose command line names {@code path} (a postmaster runs with {@code -D path}). */
    private static List<Long> processesUsing(Path path) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(path.toString())).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    private static void assertNoStackTrace(String output) {
        assertThat(output).doesNotContain("\tat ").doesNotContain("Exception");
    }
}
