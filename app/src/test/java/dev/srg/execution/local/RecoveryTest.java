package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.processesWithToken;
import static dev.srg.execution.local.BackendFixture.shell;
import static dev.srg.execution.local.BackendFixture.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.RecoveredInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tasks outlive the backend (a crashed server) and a new backend picks them up. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RecoveryTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits crashedExits = new BackendFixture.Exits();
    private final LocalExecutionBackend crashed = fixture.backend(crashedExits);

    @Test
    void runningTaskIsReattachedAndItsExitReportedOnce() throws Exception {
        String id = newId();
        crashed.launch(shell(id, "sleep 2\necho finished\nexit 7\n"));
        fixture.awaitStarted(id);
        crashed.close();

        BackendFixture.Exits exits = new BackendFixture.Exits();
        LocalExecutionBackend recovered = fixture.backend(exits);
        assertThat(recovered.recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.RUNNING));
        assertThat(recovered.launch(shell(id, "exit 0")).outcome()).isEqualTo(LaunchOutcome.ALREADY_RUNNING);
        ExitStatus exit = exits.await(id, Duration.ofSeconds(30));

        assertThat(exit.exitCode()).isEqualTo(7);
        assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
        assertThat(fixture.log(recovered, id)).contains("finished");
        assertThat(recovered.recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.FINISHED));
        Thread.sleep(500);
        assertThat(exits.count(id)).isEqualTo(1);
        assertThat(crashedExits.count(id)).isZero();
    }

    @Test
    void reattachedTaskKeepsItsUidAndNoOtherTaskGetsItUntilItEnds() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        // two uids only, so that a reuse would show
        LocalBackendConfig twoUids = LocalBackendConfig.defaults(fixture.baseDirectory)
                .withTaskUids(LocalBackendConfig.DEFAULT_TASK_UID_BASE + 70_000, 2);
        BackendFixture.Exits firstExits = new BackendFixture.Exits();
        LocalExecutionBackend first = fixture.backend(twoUids, firstExits);
        String id = newId();
        first.launch(shell(id, "echo before=$(id -u)\nsleep 3\necho after=$(id -u)\n"));
        fixture.awaitStarted(id);
        long uid = fixture.identity(id).uid();
        first.close();

        BackendFixture.Exits exits = new BackendFixture.Exits();
        LocalExecutionBackend recovered = fixture.backend(twoUids, exits);
        assertThat(recovered.recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.RUNNING));
        // the other uid goes to a new task; a third finds none free while both may have processes
        String other = newId();
        String third = newId();
        recovered.launch(shell(other, "echo uid=$(id -u)\nsleep 1\n"));
        recovered.launch(shell(third, "echo never\n"));
        assertThat(exits.await(third).reason()).isEqualTo(FailureReason.LAUNCH_FAILED);
        assertThat(exits.get(third).limitsNote()).contains("all 2 task uids");
        assertThat(exits.await(other).succeeded()).isTrue();
        assertThat(fixture.identity(other).uid()).isNotEqualTo(uid);
        ExitStatus exit = exits.await(id, Duration.ofSeconds(30));

        assertThat(exit.succeeded()).isTrue();
        assertThat(fixture.log(recovered, id)).contains("before=" + uid, "after=" + uid);
        // once it is over its uid is free again
        String later = newId();
        recovered.launch(shell(later, "echo uid=$(id -u)\n"));
        assertThat(exits.await(later).succeeded()).isTrue();
        assertThat(fixture.identity(later).uid()).isBetween(LocalBackendConfig.DEFAULT_TASK_UID_BASE + 70_000,
                LocalBackendConfig.DEFAULT_TASK_UID_BASE + 70_001);
    }

    @Test
    void uidOfATaskThatEndedWhileTheServerWasDownIsGivenBackAtStart() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        String id = newId();
        crashed.launch(shell(id, "sleep 0.3\n"));
        fixture.awaitStarted(id);
        crashed.close();
        Path slot = fixture.baseDirectory.resolve(TaskIdentities.SLOTS_DIRECTORY)
                .resolve(Long.toString(fixture.identity(id).uid()));
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(fixture.baseDirectory.resolve(id).resolve("exit")));
        assertThat(slot).exists();

        // the store need not ask about it: the start collects it
        fixture.backend(new BackendFixture.Exits());

        assertThat(slot).doesNotExist();
    }

    @Test
    void taskThatFinishedWhileTheServerWasDownIsCollected() throws Exception {
        String id = newId();
        crashed.launch(shell(id, "sleep 0.3\nexit 5\n"));
        crashed.close();
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(fixture.baseDirectory.resolve(id).resolve("exit")));

        BackendFixture.Exits exits = new BackendFixture.Exits();
        LocalExecutionBackend recovered = fixture.backend(exits);
        assertThat(recovered.recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.FINISHED));

        assertThat(exits.await(id).exitCode()).isEqualTo(5);
        recovered.recover(List.of(id));
        assertThat(exits.count(id)).isEqualTo(1);
        assertThat(crashedExits.count(id)).isZero();
    }

    @Test
    void timeoutHoldsWhileTheServerIsDown() throws Exception {
        String id = newId();
        crashed.launch(new dev.srg.execution.LaunchSpec(id, dev.srg.execution.TaskKind.SHELL, "sleep 1000\n", 1000,
                Duration.ofSeconds(1), java.util.Map.of()));
        crashed.close();
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(fixture.baseDirectory.resolve(id).resolve("exit")));

        BackendFixture.Exits exits = new BackendFixture.Exits();
        fixture.backend(exits).recover(List.of(id));

        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.TIMEOUT);
    }

    @Test
    void instanceThatNeverStartedIsReturnedForRelaunch() {
        String id = newId();
        BackendFixture.Exits exits = new BackendFixture.Exits();
        LocalExecutionBackend recovered = fixture.backend(exits);

        assertThat(recovered.recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.NOT_STARTED));
        assertThat(exits.count(id)).isZero();

        assertThat(recovered.launch(shell(id, "exit 0")).outcome()).isEqualTo(LaunchOutcome.STARTED);
        assertThat(exits.await(id).succeeded()).isTrue();
    }

    @Test
    void instanceWhoseSupervisorWasKilledIsLostAndItsProcessesKilled() throws Exception {
        int token = token();
        String id = newId();
        crashed.launch(shell(id, "sleep %d &\nsleep 1000\n".formatted(token)));
        long supervisor = fixture.awaitStarted(id);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(token).size() == 1);
        crashed.close();
        ProcessHandle.of(supervisor).orElseThrow().destroyForcibly();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ProcFs.startTicks(supervisor).isEmpty());

        BackendFixture.Exits exits = new BackendFixture.Exits();
        LocalExecutionBackend recovered = fixture.backend(exits);
        assertThat(recovered.recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.LOST));

        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.LOST);
        assertThat(processesWithToken(token)).isEmpty();
        assertThat(recovered.launch(shell(id, "exit 0")).outcome()).isEqualTo(LaunchOutcome.FINISHED);
        assertThat(exits.count(id)).isEqualTo(1);
    }

}
