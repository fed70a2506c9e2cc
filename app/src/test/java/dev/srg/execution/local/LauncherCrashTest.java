package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.shell;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The supervisors' launcher (srg-supervisor --launcher, issue 17) killed for real: supervisors
 * outlive it, a launch in flight when it dies or hangs happens once, and the next launch gets a
 * new launcher. Nothing of the launcher reaches a task.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LauncherCrashTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();

    @Test
    void supervisorsOutliveAKilledLauncherAndTheNextLaunchGetsANewOne() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        long launcher = launcherPid(backend);
        String id = newId();
        assertThat(backend.launch(shell(id, "sleep 1.5\necho finished\nexit 3\n")).outcome()).isEqualTo(LaunchOutcome.STARTED);
        long supervisor = fixture.awaitStarted(id);
        assertThat(parentOf(supervisor)).as("started by the launcher, not the server").isEqualTo(launcher);

        kill("-KILL", launcher);

        ExitStatus exit = exits.await(id, Duration.ofSeconds(30));
        assertThat(exit.exitCode()).isEqualTo(3);
        assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
        assertThat(fixture.log(backend, id)).contains("finished");
        String next = newId();
        backend.launch(shell(next, "echo next\n"));
        assertThat(exits.await(next).succeeded()).isTrue();
        assertThat(launcherPid(backend)).as("a new launcher").isNotEqualTo(launcher);
        Thread.sleep(300);
        assertThat(exits.count(id)).isEqualTo(1);
        assertThat(exits.count(next)).isEqualTo(1);
    }

    @Test
    void aLaunchToAHungLauncherStartsTheSupervisorDirectlyOnce() throws Exception {
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.LAUNCHER_TIMEOUT_PROPERTY, "1000", exits);
        long launcher = launcherPid(backend);
        kill("-STOP", launcher);
        String id = newId();

        assertThat(backend.launch(shell(id, "echo ran\n")).outcome()).isEqualTo(LaunchOutcome.STARTED);

        assertThat(exits.await(id).succeeded()).isTrue();
        assertThat(ProcessHandle.of(launcher).map(ProcessHandle::isAlive).orElse(false)).as("the hung launcher stopped")
                .isFalse();
        assertThat(fixture.log(backend, id)).isEqualTo("ran\n");
        String next = newId();
        backend.launch(shell(next, "echo next\n"));
        assertThat(exits.await(next).succeeded()).isTrue();
        assertThat(launcherPid(backend)).isNotEqualTo(launcher);
    }

    /** kill -9 of the launcher at random moments while tasks are launched: each runs exactly once. */
    @Test
    void launchesWhileTheLauncherIsKilledRunOnceEach() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        AtomicBoolean launching = new AtomicBoolean(true);
        AtomicInteger kills = new AtomicInteger();
        Thread killer = Thread.ofPlatform().start(() -> {
            while (launching.get()) {
                backend.launcherPid().ifPresent(pid -> {
                    try {
                        kill("-KILL", pid);
                        kills.incrementAndGet();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                try {
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 24; i++) {
                String id = newId();
                ids.add(id);
                assertThat(backend.launch(shell(id, "echo ran\n")).outcome()).isEqualTo(LaunchOutcome.STARTED);
            }
        } finally {
            launching.set(false);
            killer.join();
        }
        for (String id : ids) {
            assertThat(exits.await(id).succeeded()).as(id).isTrue();
            assertThat(fixture.log(backend, id)).as(id).isEqualTo("ran\n");
        }
        Thread.sleep(300);
        ids.forEach(id -> assertThat(exits.count(id)).as(id).isEqualTo(1));
        assertThat(kills.get()).as("the launcher was killed during the launches").isPositive();
    }

    @Test
    void aTaskHoldsNoneOfTheLaunchersDescriptors() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        launcherPid(backend);
        String id = newId();
        // every descriptor of the task's shell, and of its supervisor's (the launcher's child)
        // (ls writes to a file: a pipeline's own pipe would be the shell's while it starts it)
        backend.launch(shell(id, "ls -l /proc/$$/fd > fds\ngrep -o '[0-9]* -> .*' fds | sed 's/^/task /'\nsleep 0.5\n"));
        long supervisor = fixture.awaitStarted(id);
        List<String> supervisorFds = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/" + supervisor + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    supervisorFds.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        assertThat(exits.await(id).succeeded()).isTrue();
        List<String> task = fixture.log(backend, id).lines().filter(l -> l.startsWith("task ")).toList();
        // stdin /dev/null, stdout and stderr the output pipe, bash's script (255): nothing else
        assertThat(task).hasSizeBetween(3, 4);
        assertThat(task.stream().map(l -> l.split(" ")[1])).containsAnyOf("255").contains("0", "1", "2");
        assertThat(task.stream().filter(l -> l.contains("pipe:")).map(l -> l.split(" ")[3]).distinct()).hasSize(1);
        // the supervisor: /dev/null, its log, its signalfd, the output pipe and log: none of the launcher's pipes
        assertThat(supervisorFds.stream().filter(l -> l.startsWith("pipe:")).distinct()).hasSizeLessThanOrEqualTo(1);
    }

    private static long launcherPid(LocalExecutionBackend backend) {
        OptionalLong pid = backend.launcherPid();
        assertThat(pid).as("the compiled supervisor's launcher runs").isPresent();
        return pid.getAsLong();
    }


    private static long parentOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    /** Sends a signal with kill(1), as the crash tests do. */
    private static void kill(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
}
