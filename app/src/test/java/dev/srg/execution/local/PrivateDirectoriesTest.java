package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.shell;
import static dev.srg.execution.local.BackendFixture.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.TaskKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task of its own uid has its own /tmp, /var/tmp, /dev/shm (one tmpfs of at most its memory),
 * sees only its own processes in /proc (hidepid=invisible) and has an IPC namespace of its own;
 * nothing of it stays on the host (README "Isolation between tasks"). Real processes, as root.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PrivateDirectoriesTest {

    private static final Pattern PID = Pattern.compile("pid=(\\d+)");
    private static final List<String> SHARED = List.of("/tmp", "/var/tmp", "/dev/shm");

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();
    private final List<Path> hostFiles = new ArrayList<>();

    @AfterEach
    void removeHostFiles() throws IOException {
        for (Path p : hostFiles) {
            Files.deleteIfExists(p);
        }
    }

    @Test
    void aTaskSeesNeitherAnotherTasksFilesInTmpNorItsProcessesAndLeavesNothingOnTheHost() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        LocalExecutionBackend backend = fixture.backend(exits);
        String mark = "a-" + UUID.randomUUID();
        int sleepToken = token();
        List<String> mountsBefore = tmpfsAndProcMounts();
        String a = newId();
        backend.launch(new LaunchSpec(a, TaskKind.SHELL, """
                for d in /tmp /var/tmp /dev/shm; do echo x > "$d/$MARK" && echo "wrote $d"; done
                ipcmk -M 4096 | sed 's/^/ipc: /'
                sleep "$SLEEP_TOKEN" &
                echo "pid=$!"
                test -r /proc/$!/cmdline && echo SEES-OWN-CHILD
                test -r /proc/self/status && echo SEES-SELF
                python3 -c 'import os; print("cpus", os.cpu_count())'
                grep -c '^processor' /proc/cpuinfo | sed 's/^/cpuinfo=/'
                grep -q '^MemTotal:' /proc/meminfo && echo MEMINFO
                ps -e -o pid=,args= | grep -c "[s]leep $SLEEP_TOKEN" | sed 's/^/ps-own=/'
                wait
                """, 1000, Duration.ofMinutes(2), Map.of("MARK", mark, "SLEEP_TOKEN", Integer.toString(sleepToken))));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(backend, a).contains("ps-own="));
        String logOfA = fixture.log(backend, a);
        Matcher matcher = PID.matcher(logOfA);
        assertThat(matcher.find()).isTrue();
        long pidOfA = Long.parseLong(matcher.group(1));
        long supervisorOfA = fixture.awaitStarted(a);
        assertThat(logOfA).contains("wrote /tmp", "wrote /var/tmp", "wrote /dev/shm", "SEES-OWN-CHILD", "SEES-SELF", "ps-own=1",
                "ipc: Shared memory id:");
        // what a task needs of /proc still works
        int cpus = Runtime.getRuntime().availableProcessors();
        assertThat(logOfA).contains("cpus " + cpus, "cpuinfo=" + cpus, "MEMINFO");
        // not on the host, where every other task would have seen them
        for (String dir : SHARED) {
            assertThat(Path.of(dir, mark)).as(dir).doesNotExist();
        }

        String b = newId();
        backend.launch(new LaunchSpec(b, TaskKind.SHELL, """
                for d in /tmp /var/tmp /dev/shm; do test -e "$d/$MARK" && echo "SEES-FILE $d" || echo "no file in $d"; done
                test -e "/proc/$A_PID" && echo SEES-A-PID || echo NO-A-PID
                test -e "/proc/$SUPERVISOR" && echo SEES-SUPERVISOR || echo NO-SUPERVISOR
                for p in /proc/[0-9]*; do cat "$p/cmdline" 2>/dev/null | tr '\\0' ' '; echo; done | grep -c "[s]leep $SLEEP_TOKEN" | sed 's/^/listed=/'
                ps -e -o uid:12=,args= | sed 's/^/ps: /'
                ipcs -m | grep -c '^0x' | sed 's/^/ipc-segments=/'
                echo done
                """, 1000, Duration.ofMinutes(1), Map.of("MARK", mark, "A_PID", Long.toString(pidOfA),
                        "SUPERVISOR", Long.toString(supervisorOfA), "SLEEP_TOKEN", Integer.toString(sleepToken))));
        ExitStatus exitOfB = exits.await(b);
        String logOfB = fixture.log(backend, b);
        assertThat(exitOfB.reason()).as(logOfB).isEqualTo(FailureReason.NONE);
        assertThat(logOfB).contains("no file in /tmp", "no file in /var/tmp", "no file in /dev/shm", "NO-A-PID", "NO-SUPERVISOR",
                "listed=0", "ipc-segments=0", "done");
        assertThat(logOfB).doesNotContain("SEES-").doesNotContain("sleep " + sleepToken);
        // ps shows B its own processes only: every one is of B's uid
        for (String line : logOfB.lines().filter(l -> l.startsWith("ps: ")).toList()) {
            assertThat(line.trim().split("\\s+")[1]).as(line).isEqualTo(Long.toString(fixture.identity(b).uid()));
        }
        // what the note says
        assertThat(exitOfB.limitsNote()).contains("private /tmp, /var/tmp, /dev/shm", "(one tmpfs of at most 4294967296 bytes",
                "/proc hidepid=invisible", "own IPC namespace");

        backend.cancel(a);
        assertThat(exits.await(a).reason()).isEqualTo(FailureReason.CANCELLED);
        // its files went with its namespace; no mount of it is left on the host
        for (String dir : SHARED) {
            assertThat(Path.of(dir, mark)).as(dir).doesNotExist();
        }
        assertThat(tmpfsAndProcMounts()).isEqualTo(mountsBefore);
    }

    @Test
    void aTasksTmpIsEmptyAtItsStartButForThePathToItsOwnDirectory() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        for (String dir : SHARED) {
            Path left = Path.of(dir, "host-" + UUID.randomUUID());
            Files.writeString(left, "left by someone else");
            hostFiles.add(left);
        }
        LocalExecutionBackend backend = fixture.backend(exits);
        String id = newId();

        backend.launch(shell(id, """
                find /tmp /var/tmp /dev/shm -mindepth 1 -maxdepth 1 | sed 's/^/entry: /'
                stat -c 'mode %a %U' /tmp /var/tmp /dev/shm
                findmnt -n -o FSTYPE,OPTIONS --target /tmp | sed 's/^/mount: /'
                echo "home=$(pwd)"
                """));
        ExitStatus exit = exits.await(id);

        String log = fixture.log(backend, id);
        assertThat(exit.reason()).as(log).isEqualTo(FailureReason.NONE);
        // the fixture's task directories are under /tmp: the task sees the way to its own directory, nothing else
        String top = "/" + fixture.baseDirectory.getName(0) + "/" + fixture.baseDirectory.getName(1);
        assertThat(log.lines().filter(l -> l.startsWith("entry: ")).toList()).containsExactly("entry: " + top);
        assertThat(log).doesNotContain("host-").contains("home=" + fixture.home(id));
        assertThat(log).containsPattern("mount: tmpfs +rw,nosuid,nodev,.*size=4194304k");
        assertThat(log.lines().filter(l -> l.startsWith("mode ")).toList()).containsExactly("mode 1777 root", "mode 1777 root", "mode 1777 root");
    }

    @Test
    void theTmpfsHoldsAtMostTheTasksMemory() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        // without cgroups: the tmpfs's own size is what stops it (with them, its pages also count as the task's memory)
        LocalExecutionBackend backend = fixture.backend(fixture.withoutUsableCgroups(), exits);
        String id = newId();

        // 25 milli-CU: 102.4 MiB for /tmp, /var/tmp and /dev/shm together
        backend.launch(new LaunchSpec(id, TaskKind.SHELL, """
                dd if=/dev/zero of=/tmp/big bs=1M count=80 2>&1 | tail -1
                dd if=/dev/zero of=/dev/shm/more bs=1M count=80 2>&1 | head -1
                echo "total=$(du -cm /tmp/big /dev/shm/more | tail -1 | cut -f1)"
                """, 25, Duration.ofMinutes(1), Map.of()));
        ExitStatus exit = exits.await(id);

        String log = fixture.log(backend, id);
        assertThat(log).contains("No space left on device");
        Matcher total = Pattern.compile("total=(\\d+)").matcher(log);
        assertThat(total.find()).as(log).isTrue();
        assertThat(Integer.parseInt(total.group(1))).isBetween(100, 103);
        assertThat(exit.limitsNote()).contains("one tmpfs of at most 107374182 bytes");
    }

    @Test
    void withoutAUidOfItsOwnTheNoteSaysThatNothingOfItIsPrivate() throws Exception {
        LocalExecutionBackend backend = fixture.backendSharingItsUid(fixture.withoutUsableCgroups(), exits);
        String id = newId();

        backend.launch(shell(id, "echo ran\n"));
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(exit.limitsNote()).contains("no private /tmp, /var/tmp, /dev/shm, no /proc hidepid, no pid or IPC namespace of its own"
                + " (they need root and a uid of the task's own)");
    }

    @Test
    void theBashSupervisorSaysItMakesNoneOfIt() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY, "script", exits);
        String id = newId();

        backend.launch(shell(id, "echo ran\n"));
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(exit.limitsNote()).contains("own uid " + fixture.identity(id).uid()
                + " and gid " + fixture.identity(id).gid() + "; no private /tmp, /var/tmp, /dev/shm, no /proc hidepid,"
                + " no pid or IPC namespace of its own (the bash supervisor does not make them; the compiled one does)");
    }

    @Test
    void bothSupervisorsGiveTheTaskItsWorkspacesGroupAndNoOther() throws Exception {
        assumeThat(ProcFs.currentUid()).as("per-task uids need root").isZero();
        for (LocalExecutionBackend backend : List.of(fixture.backend(exits),
                fixture.backendWithProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY, "script", exits))) {
            String inGroup = newId(), alone = newId();
            // the spec's own environment carries it (the dispatcher's); a task's payload cannot set it
            backend.launch(new LaunchSpec(inGroup, TaskKind.SHELL, "id -G; echo \"env=$SRG_WORKSPACE_GID\"; umask\n", 1000,
                    Duration.ofMinutes(1), Map.of(LaunchSpec.WORKSPACE_GID, "1800000123")));
            backend.launch(shell(alone, "id -G; umask\n"));
            assertThat(exits.await(inGroup).reason()).isEqualTo(FailureReason.NONE);
            assertThat(exits.await(alone).reason()).isEqualTo(FailureReason.NONE);
            long gid = fixture.identity(inGroup).gid();
            assertThat(fixture.log(backend, inGroup).lines().toList())
                    .containsExactly(gid + " 1800000123", "env=1800000123", "0007");
            assertThat(fixture.log(backend, alone).lines().toList())
                    .containsExactly(Long.toString(fixture.identity(alone).gid()), "0077");
        }
    }

    /** The host's tmpfs and proc mounts (other mounts come and go with other servers' task networks). */
    private static List<String> tmpfsAndProcMounts() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" - tmpfs ") || l.contains(" - proc ")).toList();
    }

    @Test
    void theCommandsPathsUnderTmpAreKeptReachable() {
        assertThat(LocalExecutionBackend.keptPaths(List.of("/usr/bin/java", "-XX:AOTCache=/tmp/a/srg.aot", "-cp",
                "/opt/srg.jar:/var/tmp/x/classes:/tmpfoo/y", "bash", "script")))
                .containsExactly("/tmp/a/srg.aot", "/var/tmp/x/classes");
    }
}
