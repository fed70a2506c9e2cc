package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.processesWithToken;
import static dev.srg.execution.local.BackendFixture.shell;
import static dev.srg.execution.local.BackendFixture.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.TaskKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tasks are kept apart (a uid of their own each), cannot fork without bound (a pids limit from
 * their CU) and cannot fill the disk with output (a cap on what is kept). Real processes, as root.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IsolationTest {


    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();

    @Test
    void aTaskCanNeitherReadNorSignalAnotherTask() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        LocalExecutionBackend backend = fixture.backend(exits);
        String secret = "s3cret-" + UUID.randomUUID();
        String a = newId();
        int sleepToken = token();
        // A leaves its secret world-readable in its home: the closed directories must still keep it.
        backend.launch(new LaunchSpec(a, TaskKind.SHELL, """
                echo "file-$SECRET_TOKEN" > "$HOME/secret"
                chmod 644 "$HOME/secret"
                sleep %d
                """.formatted(sleepToken), 1000, Duration.ofMinutes(2), Map.of("SECRET_TOKEN", secret)));
        // its process as the host names it (in its own pid namespace it is another number: PidNamespaceTest)
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(sleepToken).size() == 1);
        long pidOfA = processesWithToken(sleepToken).get(0);
        // the premise: the secret is there for whoever may read it
        assertThat(Files.readString(Path.of("/proc/" + pidOfA + "/environ"), StandardCharsets.ISO_8859_1)).contains(secret);
        assertThat(Files.readString(fixture.home(a).resolve("secret"))).contains(secret);

        String b = newId();
        backend.launch(new LaunchSpec(b, TaskKind.SHELL, """
                echo "uid=$(id -u)"
                cat "$A_HOME/secret" || echo NO-FILE
                ls "$A_HOME" || echo NO-LIST
                cat "$A_DIR/script" || echo NO-SCRIPT
                cat "/proc/$A_PID/environ" || echo NO-ENVIRON
                tr '\\0' '\\n' < "/proc/$A_PID/environ" || echo NO-ENVIRON-AGAIN
                kill -TERM "$A_PID" || echo NO-TERM
                kill -KILL "$A_PID" || echo NO-KILL
                echo done
                """, 1000, Duration.ofMinutes(1), Map.of(
                        "A_PID", Long.toString(pidOfA),
                        "A_HOME", fixture.home(a).toString(),
                        "A_DIR", fixture.baseDirectory.resolve(a).toString())));
        ExitStatus exitOfB = exits.await(b);

        String logOfB = fixture.log(backend, b);
        assertThat(exitOfB.reason()).isEqualTo(FailureReason.NONE);
        // the fixture's task directories are under /tmp, of which B has its own: B does not even find A's
        // directory nor A's process in /proc (PrivateDirectoriesTest), nor any pid of A's to signal (its
        // own pid namespace: PidNamespaceTest); where they are not, the modes checked below refuse it,
        // /proc/<pid>/environ needs ptrace access anyway and a signal to another uid gets EPERM
        assertThat(logOfB).contains("NO-FILE", "NO-LIST", "NO-SCRIPT", "NO-ENVIRON", "NO-ENVIRON-AGAIN",
                "NO-TERM", "NO-KILL", "done", "No such process");
        assertThat(logOfB).doesNotContain(secret).doesNotContain("sleep " + sleepToken);
        assertThat(fixture.identity(b).uid()).isNotEqualTo(fixture.identity(a).uid());
        assertThat(logOfB).contains("uid=" + fixture.identity(b).uid());
        // A was not touched
        Thread.sleep(300);
        assertThat(ProcFs.startTicks(pidOfA)).isPresent();
        assertThat(exits.count(a)).isZero();
        // what keeps it so: A's home is its own and closed, A's directory only its group may enter
        assertThat(Files.getAttribute(fixture.home(a), "unix:uid")).isEqualTo((int) fixture.identity(a).uid());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fixture.home(a)))).isEqualTo("rwx------");
        Path dirOfA = fixture.baseDirectory.resolve(a);
        assertThat(Files.getAttribute(dirOfA, "unix:uid")).isEqualTo(0);
        assertThat(Files.getAttribute(dirOfA, "unix:gid")).isEqualTo((int) fixture.identity(a).gid());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dirOfA))).isEqualTo("rwx--x---");
        assertThat(exits.count(a)).isZero();

        backend.cancel(a);
        assertThat(exits.await(a).reason()).isEqualTo(FailureReason.CANCELLED);
        assertThat(ProcFs.liveProcessesOfUid(fixture.identity(a).uid())).isEmpty();
        // both uids are given back once their tasks are over
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(slot(a)) && !Files.exists(slot(b)));
    }

    @Test
    void aUidGivenToTheNextTaskNoLongerOpensTheDirectoryOfTheTaskThatHadIt() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        // one uid in all: the next task is given the same uid, as any uid comes back after the range's others
        LocalExecutionBackend backend = fixture.backend(LocalBackendConfig.defaults(fixture.baseDirectory)
                .withTaskUids(LocalBackendConfig.DEFAULT_TASK_UID_BASE + 71_000, 1), exits);
        String secret = "s3cret-" + UUID.randomUUID();
        String a = newId();
        backend.launch(new LaunchSpec(a, TaskKind.SHELL, "echo \"$SECRET_TOKEN\" > \"$HOME/secret\"",
                1000, Duration.ofMinutes(1), Map.of("SECRET_TOKEN", secret)));
        assertThat(exits.await(a).reason()).isEqualTo(FailureReason.NONE);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(slot(a)));
        String b = newId();
        backend.launch(shell(b, "true"));
        assertThat(exits.await(b).reason()).isEqualTo(FailureReason.NONE);
        long uid = fixture.identity(b).uid();
        assertThat(uid).isEqualTo(fixture.identity(a).uid());

        // whatever runs as that uid now (B, or any later task given it) cannot enter A's directory
        Process cat = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "cat", fixture.home(a).resolve("secret").toString()).redirectErrorStream(true).start();
        String out = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cat.waitFor()).as(out).isNotZero();
        assertThat(out).doesNotContain(secret).contains("Permission denied");
        // the server still reads what A left (its log and home stay for the instance's record)
        assertThat(Files.readString(fixture.home(a).resolve("secret"))).contains(secret);
    }

    @Test
    void instanceNotesSayHowTasksAreKeptApart() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        String id = newId();

        backend.launch(shell(id, "true\n"));
        ExitStatus exit = exits.await(id);

        if (ProcFs.currentUid() == 0) {
            assertThat(exit.limitsNote()).contains("isolation between tasks: own uid " + fixture.identity(id).uid());
        } else {
            assertThat(exit.limitsNote()).contains("isolation between tasks not enforced: same uid");
        }
        assertThat(exit.limitsNote()).contains("pids 256 (", "output kept up to " + LocalBackendConfig.DEFAULT_MAX_OUTPUT_BYTES);
    }

    @Test
    void withoutUidsOfTheirOwnTasksStillRunAndTheNoteSaysWhatWasNotEnforced() throws Exception {
        LocalExecutionBackend backend = fixture.backendSharingItsUid(fixture.withoutUsableCgroups(), exits);
        String first = newId();
        String second = newId();

        backend.launch(shell(first, "echo uid=$(id -u)\n"));
        backend.launch(shell(second, "echo uid=$(id -u)\n"));
        ExitStatus exit = exits.await(first);

        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(exits.await(second).reason()).isEqualTo(FailureReason.NONE);
        String uid = "uid=" + ProcFs.currentUid();
        assertThat(fixture.log(backend, first)).contains(uid);
        assertThat(fixture.log(backend, second)).contains(uid);
        assertThat(exit.limitsNote()).contains(
                "isolation between tasks not enforced: same uid (" + ProcFs.currentUid() + ", the server's",
                "pids not limited", "output kept up to");
        assertThat(fixture.baseDirectory.resolve(first).resolve("identity")).doesNotExist();
        assertThat(LocalExecutionBackend.isolationNote(java.util.Optional.empty(), 1000))
                .startsWith("isolation between tasks not enforced: same uid (1000");
        assertThat(LocalExecutionBackend.pidsNote(false, false)).startsWith("pids not limited");
        assertThat(LocalExecutionBackend.pidsNote(false, true)).contains("RLIMIT_NPROC");
    }

    @Test
    void aForkBombStopsAtItsPidsLimitAndTheMachineStaysFine() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        assumePidsController();
        LocalExecutionBackend backend = fixture.backend(exits);
        String id = newId();
        // :(){ :|:& };: with a depth: some 800 processes at most were the limit to fail, never more.
        String bomb = """
                bomb() { (( $1 > 0 )) || { sleep 60; return; }; bomb $(($1 - 1)) | bomb $(($1 - 1)) & wait; }
                bomb 8
                """;

        // 0.1 CU: the floor of 64 processes
        backend.launch(new LaunchSpec(id, TaskKind.SHELL, bomb, 100, Duration.ofSeconds(6), Map.of()));
        long uid = awaitIdentity(id).uid();
        int most = 0;
        while (exits.count(id) == 0) {
            most = Math.max(most, ProcFs.liveProcessesOfUid(uid).size());
            Thread.sleep(50);
        }
        ExitStatus exit = exits.get(id);

        assertThat(exit.reason()).isIn(FailureReason.TIMEOUT, FailureReason.NON_ZERO_EXIT);
        assertThat(exit.limitsNote()).contains("pids 64 (cgroup pids controller)");
        assertThat(most).isBetween(2, 64);
        assertThat(fixture.log(backend, id)).contains("Resource temporarily unavailable");
        assertThat(ProcFs.liveProcessesOfUid(uid)).isEmpty();
    }

    @Test
    void forksStopExactlyAtThePidsLimitWithTheCgroupController() throws Exception {
        assumePidsController();
        LocalExecutionBackend backend = fixture.backend(exits);

        ExitStatus exit = runForkLoop(backend);

        assertThat(exit.limitsNote()).contains("pids 64 (cgroup pids controller)");
    }

    @Test
    void withoutAPidsControllerTheTasksOwnUidCarriesRlimitNproc() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        LocalExecutionBackend backend = fixture.backend(fixture.withoutUsableCgroups(), exits);

        ExitStatus exit = runForkLoop(backend);

        assertThat(exit.limitsNote()).contains("pids 64 (RLIMIT_NPROC of the task's own uid");
    }

    /** Forks (bounded at 600) until refused: the task and 63 children make the 64 of 0.1 CU. */
    private ExitStatus runForkLoop(LocalExecutionBackend backend) throws Exception {
        String id = newId();
        String script = """
                import os, time
                made, error = 0, None
                for i in range(600):
                    try:
                        pid = os.fork()
                    except OSError as e:
                        error = e.errno
                        break
                    if pid == 0:
                        time.sleep(60)
                        os._exit(0)
                    made += 1
                print('made', made, 'refused with errno', error, flush=True)
                time.sleep(60)
                """;

        // 0.1 CU: on a machine whose forks are slow the 63 forks alone took 0.49 s of CPU, 5 s of its quota
        backend.launch(new LaunchSpec(id, TaskKind.PYTHON, script, 100, Duration.ofSeconds(12), Map.of()));
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.TIMEOUT);
        assertThat(fixture.log(backend, id)).as("exit %s", exit).contains("made 63 refused with errno 11");
        if (ProcFs.currentUid() == 0) {
            assertThat(ProcFs.liveProcessesOfUid(fixture.identity(id).uid())).isEmpty();
        }
        return exit;
    }

    @Test
    void outputBeyondTheCapIsNotKeptEvenWhileTheServerIsDown() throws Exception {
        LocalExecutionBackend crashed = fixture.backend(
                LocalBackendConfig.defaults(fixture.baseDirectory).withMaxOutputBytes(1000), exits);
        String id = newId();

        // 5000 x, a newline and "tail-marker\n": 5013 bytes, of which 1000 are kept
        crashed.launch(shell(id, "sleep 0.5\nhead -c 5000 /dev/zero | tr '\\0' x\necho\necho tail-marker\n"));
        crashed.close();
        Path exitFile = fixture.baseDirectory.resolve(id).resolve("exit");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(exitFile));

        String log = Files.readString(fixture.baseDirectory.resolve(id).resolve("output.log"));
        assertThat(log).startsWith("x".repeat(1000) + "\n[srg] output truncated: 4013 bytes beyond the cap of 1000 bytes");
        assertThat(log).doesNotContain("tail-marker").hasSizeLessThan(1100);
        BackendFixture.Exits recoveredExits = new BackendFixture.Exits();
        fixture.backend(recoveredExits).recover(java.util.List.of(id));
        ExitStatus exit = recoveredExits.await(id);
        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(exit.limitsNote()).contains("output truncated: 4013 bytes");
    }

    @Test
    void outputUnderTheCapIsKeptWhole() throws Exception {
        LocalExecutionBackend backend = fixture.backend(
                LocalBackendConfig.defaults(fixture.baseDirectory).withMaxOutputBytes(1000), exits);
        String id = newId();

        backend.launch(shell(id, "head -c 999 /dev/zero | tr '\\0' y\n"));
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(fixture.log(backend, id)).isEqualTo("y".repeat(999));
        assertThat(exit.limitsNote()).contains("output kept up to 1000 bytes").doesNotContain("truncated");
    }

    private static void assumePidsController() {
        CgroupLayout cgroups = CgroupLayout.detect(LocalBackendConfig.DEFAULT_CGROUP_ROOT);
        assumeThat(cgroups.limitsPids()).as(cgroups.support().note()).isTrue();
    }

    private TaskIdentity awaitIdentity(String id) {
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(fixture.baseDirectory.resolve(id).resolve("identity")));
        return fixture.identity(id);
    }

    private Path slot(String id) {
        return fixture.baseDirectory.resolve(TaskIdentities.SLOTS_DIRECTORY).resolve(Long.toString(fixture.identity(id).uid()));
    }
}
