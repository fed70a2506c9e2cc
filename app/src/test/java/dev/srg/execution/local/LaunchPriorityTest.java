package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.niceOf;
import static dev.srg.execution.local.BackendFixture.shell;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The launcher and the supervisors it forks run below the server's CPU priority (issue 17, eighth
 * round: a submission's work goes ahead of launches), and a task does not inherit that: it runs at
 * the server's. Read from /proc of the real processes.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LaunchPriorityTest {

    /** The task's nice value (field 19 of its stat), in its output. */
    private static final String PRINT_NICE = "sed 's/.*) //' /proc/$$/stat | cut -d' ' -f17\nsleep 0.5\n";

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();

    @Test
    void launchesRunTenStepsBelowTheServerAndTheTaskAtTheServers() throws Exception {
        int server = niceOf(ProcessHandle.current().pid());
        LocalExecutionBackend backend = fixture.backend(exits);
        long launcher = backend.launcherPid().orElseThrow();
        assertThat(niceOf(launcher)).as("the launcher").isEqualTo(Math.min(19, server + 10));

        String id = newId();
        backend.launch(shell(id, PRINT_NICE));
        long supervisor = fixture.awaitStarted(id);
        int supervisorNice = niceOf(supervisor);
        assertThat(exits.await(id).succeeded()).isTrue();
        assertThat(supervisorNice).as("the task's supervisor").isEqualTo(Math.min(19, server + 10));
        assertThat(fixture.log(backend, id).trim()).as("the task itself").isEqualTo(Integer.toString(server));
    }

    @Test
    void zeroKeepsTheServersPriority() throws Exception {
        int server = niceOf(ProcessHandle.current().pid());
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.LAUNCH_NICE_PROPERTY, "0", exits);
        assertThat(niceOf(backend.launcherPid().orElseThrow())).isEqualTo(server);
        String id = newId();
        backend.launch(shell(id, PRINT_NICE));
        long supervisor = fixture.awaitStarted(id);
        assertThat(niceOf(supervisor)).isEqualTo(server);
        assertThat(exits.await(id).succeeded()).isTrue();
        assertThat(fixture.log(backend, id).trim()).isEqualTo(Integer.toString(server));
    }

    /**
     * A launcher that could not give a task its priority back (no CAP_SYS_NICE: here, the binary
     * run as nobody) does not lower its own, and says so when ready.
     */
    @Test
    void withoutTheRightToRaiseItBackTheLauncherKeepsTheServersPriority() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        long ours = backend.launcherPid().orElseThrow();
        Path dir = Path.of("/tmp/srg-execution-tests", "nobody-" + UUID.randomUUID());
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path binary = Files.copy(Path.of("/proc/" + ours + "/exe"), dir.resolve("srg-supervisor"));
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder builder = new ProcessBuilder(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                binary.toString(), "--launcher", dir.toString(), " ".repeat(64))).redirectErrorStream(true);
        builder.environment().put("SRG_LAUNCH_NICE", "10");
        Process launcher = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
            String ready = out.readLine();
            int server = niceOf(ProcessHandle.current().pid());
            // ready <base nice> <nice> <namespaces made ahead: none asked for here>
            assertThat(ready).isEqualTo("ready " + server + " " + server + " 0");
            assertThat(niceOf(launcher.pid())).isEqualTo(server);
        } finally {
            launcher.getOutputStream().close(); // the end of its stdin: it exits
            assertThat(launcher.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Files.delete(binary);
            Files.delete(dir);
        }
    }


}
