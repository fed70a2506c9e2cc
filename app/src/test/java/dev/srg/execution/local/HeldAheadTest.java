package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.netNamespacesHeldBy;
import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.niceOf;
import static dev.srg.execution.local.BackendFixture.shell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.RecoveredInstance;
import dev.srg.execution.ResourceLimits;
import dev.srg.execution.TaskKind;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A start's supervisor forked while its transaction commits and held until the commit releases it
 * (issue 17, twelfth round; {@link LocalExecutionBackend#HOLD_AHEAD_PROPERTY}, off by default):
 * nothing of the task runs before the release; a drop, a killed launcher or a server gone (the
 * launcher's stdin ended) makes the held supervisor exit without running anything; a committed
 * start whose held supervisor died that way still runs once; the task runs as before (its uid, its
 * cgroups, the server's priority, its own network namespace made ahead).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HeldAheadTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();
    private final CgroupLayout cgroups = CgroupLayout.detect(Path.of("/sys/fs/cgroup"));

    @BeforeEach
    void asRoot() {
        // the launcher needs the compiled supervisor; the uid claims are root's
        assumeThat(ProcFs.currentUid()).as("only as root").isZero();
    }

    private LocalExecutionBackend backend() {
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.HOLD_AHEAD_PROPERTY, "true", exits);
        assumeThat(backend.launcherPid()).as("a launcher (the compiled supervisor)").isPresent();
        return backend;
    }

    @Test
    void aHeldSupervisorRunsNothingUntilItsReleaseThenRunsTheTaskOnceAsItsUidInItsCgroupsAtTheServersPriority() throws Exception {
        LocalExecutionBackend backend = backend();
        String id = newId();
        LaunchSpec spec = shell(id, "echo \"ran $(id -u) $(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f17)\"\ncat /proc/self/cgroup\n");

        backend.prepareAhead(spec);
        long held = awaitHeld(backend, id);
        Thread.sleep(300);

        // held: its process is there, as the instance's supervisor, and nothing of the instance has begun
        assertThat(ProcFs.cmdline(held)).contains(fixture.baseDirectory.resolve(id).toString());
        assertThat(alive(held)).isTrue();
        assertNothingRan(id);
        assertThat(backend.launch(spec).outcome()).isEqualTo(LaunchOutcome.STARTED);

        // the held supervisor is the one that took the run (not a second fork)
        assertThat(fixture.awaitStarted(id)).isEqualTo(held);
        ExitStatus exit = exits.await(id);
        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        String log = fixture.log(backend, id);
        int serverNice = niceOf(ProcessHandle.current().pid());
        // SPEC (isolation) as before: its own uid, the server's priority back, its own cgroups
        assertThat(log).contains("ran " + fixture.identity(id).uid() + " " + serverNice);
        if (cgroups.support().enforced()) {
            assertThat(log).contains(id);
        }
        assertThat(backend.launch(spec).outcome()).isEqualTo(LaunchOutcome.FINISHED);
        Thread.sleep(300);
        assertThat(exits.count(id)).isEqualTo(1);
    }

    @Test
    void aHeldSupervisorDroppedExitsWithoutRunningAndItsStartLeavesNothing() {
        LocalExecutionBackend backend = backend();
        String id = newId();
        backend.prepareAhead(shell(id, "echo never\n"));
        long held = awaitHeld(backend, id);
        long uid = fixture.identity(id).uid();

        backend.discardAhead(id);

        assertThat(alive(held)).as("the held supervisor after its drop").isFalse();
        fixture.assertStartLeftNothing(id, uid);
        assertThat(exits.count(id)).isZero();
    }

    /**
     * The launcher killed (-9) while it holds a supervisor: the supervisor reads the end of its
     * release and exits without running; the start, committed meanwhile, is launched afterwards
     * (by a new launcher) and runs once.
     */
    @Test
    void aHeldSupervisorWhoseLauncherIsKilledExitsWithoutRunningAndTheCommittedStartRunsOnce() throws Exception {
        LocalExecutionBackend backend = backend();
        String id = newId();
        LaunchSpec spec = shell(id, "echo ran once\n");
        backend.prepareAhead(spec);
        long held = awaitHeld(backend, id);
        long launcher = backend.launcherPid().orElseThrow();

        new ProcessBuilder("kill", "-9", Long.toString(launcher)).start().waitFor();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !alive(held));
        Thread.sleep(200);
        assertNothingRan(id);
        assertThat(backend.launch(spec).outcome()).isEqualTo(LaunchOutcome.STARTED);
        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.NONE);
        assertThat(fixture.log(backend, id)).contains("ran once");
        Thread.sleep(300);
        assertThat(exits.count(id)).isEqualTo(1);
    }

    /**
     * The server gone (killed): its launcher reads the end of its stdin and exits, and the supervisor
     * it held exits without running. A launcher of our own here, so that its stdin can end while this
     * JVM (the "server") lives on.
     */
    @Test
    void aHeldSupervisorWhoseServerIsGoneExitsWithoutRunning() throws Exception {
        // the files as a start prepared ahead has them (no hold: the launcher below holds it)
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.PREPARE_AHEAD_PROPERTY, "true", exits);
        long ours = backend.launcherPid().orElseThrow();
        String id = newId();
        backend.prepareAhead(shell(id, "echo never\n"));
        Path dir = fixture.baseDirectory.resolve(id);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("env")));
        ProcessBuilder builder = new ProcessBuilder(List.of(Files.readSymbolicLink(Path.of("/proc/" + ours + "/exe")).toString(),
                "--launcher", fixture.baseDirectory.toString(), " ".repeat(512))).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().clear();
        builder.environment().put("PATH", LocalExecutionBackend.TASK_PATH);
        Process launcher = builder.start();
        try {
            BufferedReader answers = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8));
            assertThat(answers.readLine()).startsWith("ready ");
            OutputStream requests = launcher.getOutputStream();
            requests.write(("h " + dir + "\n").getBytes(StandardCharsets.UTF_8));
            requests.flush();
            String answer = answers.readLine();
            assertThat(answer).startsWith("s " + dir + " ");
            long held = Long.parseLong(answer.substring(answer.lastIndexOf(' ') + 1));
            Thread.sleep(200);
            assertThat(alive(held)).isTrue();

            requests.close(); // what the launcher sees when the server dies

            assertThat(launcher.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !alive(held));
            Thread.sleep(200);
            assertNothingRan(id);
        } finally {
            launcher.destroyForcibly();
        }
    }

    /**
     * A crash after the commit, before the release (here: the backend closed, its launcher killed,
     * and the markers made a gone process's): recovery finds the committed start not started and
     * it runs once; the one that never committed is swept, uid and all; neither held supervisor ran.
     */
    @Test
    void aCrashWithSupervisorsHeldLeavesTheCommittedStartToRecoveryAndSweepsTheOther() throws Exception {
        LocalExecutionBackend crashed = backend();
        String neverCommitted = newId();
        String committed = newId();
        LaunchSpec committedSpec = shell(committed, "echo committed before the crash\n");
        crashed.prepareAhead(shell(neverCommitted, "echo never\n"));
        crashed.prepareAhead(committedSpec);
        long heldNever = awaitHeld(crashed, neverCommitted);
        long heldCommitted = awaitHeld(crashed, committed);
        long uid = fixture.identity(neverCommitted).uid();
        crashed.close(); // its launcher killed

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !alive(heldNever) && !alive(heldCommitted));
        assertNothingRan(neverCommitted);
        assertNothingRan(committed);
        fixture.markersWrittenByAProcessThatIsGone(neverCommitted, committed);
        LocalExecutionBackend next = fixture.backend(exits);
        List<RecoveredInstance> recovered = next.recover(List.of(committed));

        fixture.assertStartLeftNothing(neverCommitted, uid);
        assertThat(recovered).containsExactly(new RecoveredInstance(committed, RecoveredInstance.State.NOT_STARTED));
        assertThat(next.launch(committedSpec).outcome()).isEqualTo(LaunchOutcome.STARTED);
        assertThat(exits.await(committed).reason()).isEqualTo(FailureReason.NONE);
        assertThat(fixture.log(next, committed)).contains("committed before the crash");
        assertThat(exits.count(neverCommitted)).isZero();
    }

    /**
     * With task networks: the held supervisor holds no namespace while it waits (a drop costs the
     * pool nothing); its release brings the one made ahead, and the task runs in it.
     */
    @Test
    void theReleaseBringsTheNamespaceMadeAhead() throws Exception {
        LocalExecutionBackend backend = backend();
        long launcher = backend.launcherPid().orElseThrow();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> netNamespacesHeldBy(launcher).size() == 2);
        Set<String> ahead = netNamespacesHeldBy(launcher);
        assumeThat(ahead).as("task networks enforced here, namespaces made ahead").isNotEmpty();
        String id = newId();
        LaunchSpec spec = new LaunchSpec(id, "SHELL", TaskKind.SHELL.command(Map.of("script",
                "echo \"netns=$(readlink /proc/self/ns/net)\"")), new ResourceLimits(1000), Duration.ofMinutes(1), Map.of(),
                NetworkEnforcementTest.vpc(false, List.of(), List.of()), java.util.Optional.empty());
        backend.prepareAhead(spec);
        long held = awaitHeld(backend, id);
        assertThat(netNamespacesHeldBy(held)).as("namespaces the held supervisor holds").isEmpty();

        assertThat(backend.launch(spec).outcome()).isEqualTo(LaunchOutcome.STARTED);

        assertThat(fixture.awaitStarted(id)).isEqualTo(held);
        assertThat(exits.await(id).succeeded()).isTrue();
        String netns = fixture.log(backend, id).strip().substring("netns=".length());
        assertThat(ahead).as("the task ran in a namespace the launcher had made ahead").contains(netns);
    }

    private long awaitHeld(LocalExecutionBackend backend, String id) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> backend.heldSupervisor(id).isPresent());
        return backend.heldSupervisor(id).getAsLong();
    }

    private void assertNothingRan(String id) {
        Path dir = fixture.baseDirectory.resolve(id);
        assertThat(dir.resolve("started")).as("the run-once link").doesNotExist();
        assertThat(dir.resolve("exit")).doesNotExist();
        assertThat(dir.resolve("output.log")).doesNotExist();
        assertThat(exits.count(id)).isZero();
    }

    private static boolean alive(long pid) {
        // a zombie (not reaped yet by the launcher) has no command line
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !ProcFs.cmdline(pid).isEmpty();
    }





}
