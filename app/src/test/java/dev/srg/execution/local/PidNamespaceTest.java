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
import dev.srg.execution.RecoveredInstance;
import dev.srg.execution.TaskKind;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task of its own uid runs in a pid namespace of its own (README "Isolation between tasks"): the
 * compiled supervisor makes it with its pid 1 ahead of the task, an init of its own child that
 * reaps orphans and passes a signal sent to it on to the task; the task's first process is pid 2
 * there and the supervisor's own child, it sees and can name only its own processes. Exit codes,
 * cancel, timeout and what becomes of leftovers are as without it; the init and the namespace go
 * with the supervisor. Real processes, as root.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PidNamespaceTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();
    private LocalExecutionBackend backend;

    @BeforeEach
    void rootOnly() {
        assumeThat(ProcFs.currentUid()).as("per-task uids (and the namespaces that come with them) need root").isZero();
        backend = fixture.backend(exits);
    }

    @Test
    void aTaskSeesAndNamesOnlyItsOwnProcesses() throws Exception {
        int sleepToken = token();
        String other = newId();
        backend.launch(new LaunchSpec(other, TaskKind.SHELL, "sleep " + sleepToken + " &\nwait\n", 1000, Duration.ofMinutes(2),
                Map.of()));
        long supervisorOfOther = fixture.awaitStarted(other);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(sleepToken).size() == 1);
        long sleepOfOther = processesWithToken(sleepToken).get(0);

        String id = newId();
        backend.launch(new LaunchSpec(id, TaskKind.SHELL, """
                echo "self=$$ parent=$PPID"
                sleep 600 &
                echo "child=$!"
                ps -e -o pid=,args= | sed 's/^/ps: /'
                for p in "$OTHER_SLEEP" "$OTHER_SUPERVISOR" 1; do kill -0 "$p" 2>&1 && echo "signalled $p"; done | sed 's/^/kill: /'
                test -e "/proc/$OTHER_SLEEP" && echo SEES-OTHER || echo NO-OTHER
                for p in /proc/[0-9]*; do echo "${p#/proc/}"; done | sort -n | tr '\\n' ' ' | sed 's/^/proc: /'; echo
                kill "$!"
                echo done
                """, 1000, Duration.ofMinutes(1), Map.of("OTHER_SLEEP", Long.toString(sleepOfOther),
                "OTHER_SUPERVISOR", Long.toString(supervisorOfOther))));
        ExitStatus exit = exits.await(id);

        String log = fixture.log(backend, id);
        assertThat(exit.reason()).as(log).isEqualTo(FailureReason.NONE);
        // its first process is pid 2 (the init is pid 1), the supervisor's child, outside: no parent there; its own child the next pid
        assertThat(log).contains("self=2 parent=0", "child=3", "done");
        // another task's process and supervisor are not there to name: no such process, not a refused signal
        assertThat(log).contains("kill: (" + sleepOfOther + ") - No such process", "kill: (" + supervisorOfOther + ") - No such process",
                "NO-OTHER");
        // its init is there (pid 1) but root's: not the task's to signal, and hidden from it (hidepid)
        assertThat(log).contains("kill: (1) - Operation not permitted").doesNotContain("signalled", "sleep " + sleepToken);
        List<String> ps = log.lines().filter(l -> l.startsWith("ps: ")).map(l -> l.substring(4).trim()).toList();
        assertThat(ps).isNotEmpty().allSatisfy(line -> assertThat(Long.parseLong(line.split("\\s+")[0])).as(line).isBetween(2L, 20L));
        assertThat(ps).anySatisfy(line -> assertThat(line).startsWith("3 sleep 600"));
        String proc = log.lines().filter(l -> l.startsWith("proc: ")).findFirst().orElseThrow();
        assertThat(proc).startsWith("proc: 2 3 ");
        assertThat(exit.limitsNote()).contains("own uid " + fixture.identity(id).uid(),
                "the task's memory limit); own pid namespace; /proc hidepid=invisible; own IPC namespace");

        backend.cancel(other);
        assertThat(exits.await(other).reason()).isEqualTo(FailureReason.CANCELLED);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(sleepToken).isEmpty());
    }

    @Test
    void theTasksFirstProcessIsTheSupervisorsChildBesideTheInitOfItsNamespace() throws Exception {
        String id = newId();
        backend.launch(shell(id, """
                trap 'n=$((n + 1)); echo "trapped TERM $n"; [ "$n" = 2 ] && exit 7' TERM
                echo ready
                while :; do sleep 0.1; done
                """));
        long supervisor = fixture.awaitStarted(id);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(backend, id).contains("ready"));
        // two children: the namespace's init (pid 1 there, srg's, root) and the task's first process (pid 2, its uid)
        long init = initOf(supervisor);
        assertThat(nsPids(init)).endsWith(" 1");
        assertThat(uidOf(init)).isZero();
        assertThat(childrenOf(init)).isEmpty();
        List<Long> others = new ArrayList<>(childrenOf(supervisor));
        others.remove(init);
        assertThat(others).hasSize(1);
        long first = others.get(0);
        assertThat(nsPids(first)).endsWith(" 2");
        assertThat(uidOf(first)).isEqualTo(fixture.identity(id).uid());
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + first + "/ns/pid")))
                .isEqualTo(Files.readSymbolicLink(Path.of("/proc/" + init + "/ns/pid")));

        // a TERM sent to the init from outside is passed on to the task's trap, as when it was the task's top process
        assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(init)).start().waitFor()).isZero();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(backend, id).contains("trapped TERM 1"));
        // and one sent to the task's first process reaches it directly
        assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(first)).start().waitFor()).isZero();
        ExitStatus exit = exits.await(id);

        assertThat(fixture.log(backend, id)).contains("trapped TERM 2");
        assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
        assertThat(exit.exitCode()).isEqualTo(7);
        // the init went with the task
        assertThat(ProcFs.startTicks(init)).isEmpty();
    }

    @Test
    void aKilledSupervisorTakesTheInitAndTheWholeNamespaceWithIt() throws Exception {
        int token = token();
        String id = newId();
        backend.launch(shell(id, """
                sleep %1$d &
                setsid sleep %1$d &
                echo ready
                sleep %1$d
                """.formatted(token)));
        long supervisor = fixture.awaitStarted(id);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(backend, id).contains("ready"));
        long init = initOf(supervisor);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processesWithToken(token).size() == 3);

        // the server gone first (its recovery would kill what is left: that is not what this proves)
        backend.close();
        ProcessHandle.of(supervisor).orElseThrow().destroyForcibly();

        // the init's death signal, then the kernel's kill of every process of its namespace, setsid's too
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ProcFs.startTicks(init).isEmpty());
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> processesWithToken(token).isEmpty());

        // a new server declares it lost, once
        BackendFixture.Exits recoveredExits = new BackendFixture.Exits();
        assertThat(fixture.backend(recoveredExits).recover(List.of(id)))
                .containsExactly(new RecoveredInstance(id, RecoveredInstance.State.LOST));
        assertThat(recoveredExits.await(id).reason()).isEqualTo(FailureReason.LOST);
    }

    @Test
    void exitCodesAndDeathsBySignalAreReportedAsBefore() throws Exception {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("0", "echo fine\n");
        scripts.put("3", "echo failing\nexit 3\n");
        // killed by a signal: 128 + its number, as without a namespace
        scripts.put("137", "kill -KILL $$\necho not-reached\n");
        // the task is not its namespace's pid 1 (which would ignore a TERM it has no handler for)
        scripts.put("143", "kill -TERM $$\necho not-reached\n");
        scripts.put("5", "trap 'echo trapped; exit 5' TERM\nkill -TERM $$\necho not-reached\n");
        Map<String, String> ids = new LinkedHashMap<>();
        scripts.forEach((code, script) -> {
            String id = newId();
            ids.put(code, id);
            backend.launch(shell(id, script));
        });
        String python = newId();
        backend.launch(new LaunchSpec(python, TaskKind.PYTHON, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n", 1000,
                Duration.ofMinutes(1), Map.of()));

        for (Map.Entry<String, String> e : ids.entrySet()) {
            ExitStatus exit = exits.await(e.getValue());
            String log = fixture.log(backend, e.getValue());
            int code = Integer.parseInt(e.getKey());
            assertThat(exit.reason()).as(log).isEqualTo(code == 0 ? FailureReason.NONE : FailureReason.NON_ZERO_EXIT);
            assertThat(exit.exitCode()).as(log).isEqualTo(code);
            assertThat(log).doesNotContain("not-reached");
            assertThat(exit.limitsNote()).contains("own pid namespace");
        }
        assertThat(fixture.log(backend, ids.get("5"))).contains("trapped");
        ExitStatus exit = exits.await(python);
        assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
        assertThat(exit.exitCode()).isEqualTo(143);
    }

    @Test
    void whatTheTaskLeftBehindDiesWithItsLastLinesKeptAndOneExit() throws Exception {
        int token = token();
        String id = newId();
        backend.launch(shell(id, """
                sleep %1$d &
                setsid sleep %1$d &
                ( trap '' TERM HUP; sleep %1$d ) &
                echo "the last line of the task"
                exit 3
                """.formatted(token)));
        ExitStatus exit = exits.await(id);

        assertThat(exit.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
        assertThat(exit.exitCode()).isEqualTo(3);
        assertThat(fixture.log(backend, id)).endsWith("the last line of the task\n");
        assertThat(processesWithToken(token)).isEmpty();
        assertThat(exit.limitsNote()).contains("own pid namespace");
        // once: nothing of the namespace's end reports it again
        Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> exits.count(id) == 1);
    }

    @Test
    void cancelAndTimeoutEndTheWholeNamespace() throws Exception {
        int token = token();
        String cancelled = newId(), timedOut = newId();
        String script = """
                trap 'echo "trapped TERM"' TERM
                sleep %1$d &
                setsid sleep %1$d &
                echo ready
                sleep %1$d
                """.formatted(token);
        backend.launch(shell(cancelled, script));
        backend.launch(new LaunchSpec(timedOut, TaskKind.SHELL, script, 1000, Duration.ofSeconds(3), Map.of()));
        long supervisorOfCancelled = fixture.awaitStarted(cancelled);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(backend, cancelled).contains("ready"));
        long init = initOf(supervisorOfCancelled);
        assertThat(nsPids(init)).endsWith(" 1");

        backend.cancel(cancelled);
        ExitStatus cancel = exits.await(cancelled), timeout = exits.await(timedOut);

        // as before: the task's processes are killed (SIGKILL, no TERM first: its trap does not run)
        assertThat(cancel.reason()).isEqualTo(FailureReason.CANCELLED);
        assertThat(cancel.exitCode()).isNull();
        assertThat(timeout.reason()).isEqualTo(FailureReason.TIMEOUT);
        assertThat(timeout.exitCode()).isNull();
        assertThat(fixture.log(backend, cancelled)).doesNotContain("trapped");
        assertThat(processesWithToken(token)).isEmpty();
        assertThat(ProcFs.startTicks(init)).isEmpty();
        assertThat(exits.count(cancelled)).isEqualTo(1);
        assertThat(exits.count(timedOut)).isEqualTo(1);
    }

    /** The init of the task's pid namespace: the supervisor's child that names itself srg-task-init (once it has run). */
    private static long initOf(long supervisor) {
        return Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (long child : childrenOf(supervisor)) {
                if (read(Path.of("/proc/" + child + "/comm")).orElse("").strip().equals("srg-task-init")) {
                    return Optional.of(child);
                }
            }
            return Optional.<Long>empty();
        }, Optional::isPresent).orElseThrow();
    }

    /** The live children of a process (ppid, field 4 of /proc/PID/stat). */
    private static List<Long> childrenOf(long parent) throws IOException {
        List<Long> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path entry : entries) {
                Optional<String> stat = read(entry.resolve("stat"));
                if (stat.isEmpty()) {
                    continue;
                }
                String[] fields = stat.get().substring(stat.get().lastIndexOf(')') + 2).split(" ");
                if (Long.parseLong(fields[1]) == parent && !fields[0].equals("Z")) {
                    children.add(Long.parseLong(entry.getFileName().toString()));
                }
            }
        }
        return children;
    }

    /** The NSpid line's values: the pid in each namespace, the host's first, the innermost last. */
    private static String nsPids(long pid) throws IOException {
        return statusLine(pid, "NSpid:");
    }

    private static long uidOf(long pid) throws IOException {
        return Long.parseLong(statusLine(pid, "Uid:").split(" ")[0]);
    }

    private static String statusLine(long pid, String key) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(key))
                .map(l -> l.substring(key.length()).trim().replaceAll("\\s+", " ")).findFirst().orElseThrow();
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty(); // gone meanwhile
        }
    }
}
