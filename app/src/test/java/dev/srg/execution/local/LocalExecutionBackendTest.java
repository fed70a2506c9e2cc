package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.processesWithToken;
import static dev.srg.execution.local.BackendFixture.python;
import static dev.srg.execution.local.BackendFixture.shell;
import static dev.srg.execution.local.BackendFixture.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.TaskKind;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LocalExecutionBackendTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();
    private final LocalExecutionBackend backend = fixture.backend(exits);

    @Test
    void shellTaskExitsZeroWithItsOutputInTheLog() throws Exception {
        String id = newId();

        assertThat(backend.launch(shell(id, "echo hello from shell\necho to stderr >&2\n")).outcome())
                .isEqualTo(LaunchOutcome.STARTED);
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(exit.exitCode()).isZero();
        assertThat(exit.startedAt()).isNotNull().isBeforeOrEqualTo(exit.finishedAt());
        assertThat(fixture.log(backend, id)).contains("hello from shell", "to stderr");
    }

    @Test
    void pythonTaskRunsWithTheHostPython() throws Exception {
        String id = newId();

        backend.launch(python(id, "import sys\nprint('hello from python', sys.version_info[0])\n"));
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(fixture.log(backend, id)).contains("hello from python 3");
    }

    @Test
    void nonZeroExitIsAFailureWithItsCode() {
        String shellId = newId();
        String pythonId = newId();

        backend.launch(shell(shellId, "echo failing\nexit 3\n"));
        backend.launch(python(pythonId, "import sys\nsys.exit(4)\n"));

        assertThat(exits.await(shellId)).satisfies(exit -> {
            assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
            assertThat(exit.exitCode()).isEqualTo(3);
        });
        assertThat(exits.await(pythonId)).satisfies(exit -> {
            assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
            assertThat(exit.exitCode()).isEqualTo(4);
        });
    }

    @Test
    void taskRunsAsAnUnprivilegedUserWhenTheServerIsRoot() throws Exception {
        assumeThat(ProcFs.currentUid()).as("only as root").isZero();
        String id = newId();

        backend.launch(shell(id, "echo uid=$(id -u) groups=$(id -G)\ntouch \"$HOME/written\"\n"));

        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.NONE);
        String log = fixture.log(backend, id);
        // a uid of its own from the reserved range, its gid the same number and no other group
        TaskIdentity identity = fixture.identity(id);
        assertThat(identity.uid()).isBetween(LocalBackendConfig.DEFAULT_TASK_UID_BASE,
                LocalBackendConfig.DEFAULT_TASK_UID_BASE + LocalBackendConfig.DEFAULT_TASK_UID_SLOTS - 1);
        assertThat(log).contains("uid=" + identity.uid() + " groups=" + identity.gid() + "\n");
        assertThat(fixture.home(id).resolve("written")).exists();
    }

    @Test
    void environmentIsMinimalAndExplicit() throws Exception {
        String id = newId();

        backend.launch(new LaunchSpec(id, TaskKind.SHELL, "env\n", 1000, Duration.ofMinutes(1),
                Map.of("GREETING", "hello world", "QUOTE", "it's \"quoted\"")));

        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.NONE);
        String log = fixture.log(backend, id);
        Set<String> names = log.lines().map(line -> line.split("=", 2)[0]).collect(Collectors.toSet());
        // bash adds PWD, SHLVL and _ itself
        assertThat(names).containsExactlyInAnyOrder("PATH", "HOME", "LANG", "GREETING", "QUOTE", "PWD", "SHLVL", "_");
        assertThat(log).contains("GREETING=hello world", "QUOTE=it's \"quoted\"",
                "HOME=" + fixture.home(id), "PATH=" + LocalExecutionBackend.TASK_PATH);
    }

    @Test
    void timeoutKillsTheWholeProcessTree() throws Exception {
        int token = token();
        String id = newId();
        String script = """
                sleep %1$d &
                ( sleep %1$d & ) &
                setsid sleep %1$d &
                nohup sleep %1$d >/dev/null 2>&1 &
                echo started
                sleep 1000
                """.formatted(token);

        backend.launch(new LaunchSpec(id, TaskKind.SHELL, script, 1000, Duration.ofSeconds(2), Map.of()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(token).size() == 4);
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.TIMEOUT);
        assertThat(exit.exitCode()).isNull();
        assertThat(exit.wallTime()).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(20));
        assertThat(processesWithToken(token)).isEmpty();
    }

    @Test
    void cancelKillsTheWholeProcessTree() throws Exception {
        int token = token();
        String id = newId();
        String script = """
                sleep %1$d &
                setsid sleep %1$d &
                bash -c 'sleep %1$d & sleep %1$d'
                """.formatted(token);

        backend.launch(shell(id, script));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(token).size() == 4);
        backend.cancel(id);
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.CANCELLED);
        assertThat(exit.exitCode()).isNull();
        assertThat(processesWithToken(token)).isEmpty();
        backend.cancel(id);
        assertThat(exits.count(id)).isEqualTo(1);
    }

    @Test
    void backgroundChildrenDieWithTheTask() throws Exception {
        int token = token();
        String id = newId();

        backend.launch(shell(id, "sleep %d &\necho left a child behind\n".formatted(token)));

        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.NONE);
        assertThat(processesWithToken(token)).isEmpty();
    }

    @Test
    void instanceFilesAreNotTheTasks() throws Exception {
        assumeThat(ProcFs.currentUid()).as("only as root").isZero();
        String id = newId();

        // The task can neither forge its outcome nor read the server's spec and environment files.
        backend.launch(shell(id, "echo 'reason=NONE' > ../exit; cat ../env; rm -f ../started; echo done\nexit 9\n"));
        ExitStatus exit = exits.await(id);

        assertThat(exit.exitCode()).isEqualTo(9);
        assertThat(fixture.log(backend, id)).contains("Permission denied", "done");
        assertThat(Arrays.stream(fixture.log(backend, id).split("\n"))).noneMatch(l -> l.startsWith("PATH="));
    }
}
