package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.TaskKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two supervisors: the compiled one the build makes (every other test of this package runs
 * it when gcc was there) and supervisor.sh, the fallback of a build without a C compiler, which
 * must keep working: the same task through each gives the same outcome.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ScriptSupervisorTest {

    private BackendFixture fixture;
    private BackendFixture.Exits exits;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new BackendFixture();
        exits = new BackendFixture.Exits();
    }

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    @Test
    void theCompiledSupervisorIsTheOneInUseWhenTheBuildMadeIt() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        String id = newId();
        backend.launch(BackendFixture.shell(id, "echo hi"));
        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.NONE);

        boolean built = LocalExecutionBackend.class.getResource("srg-supervisor") != null;
        assertThat(supervisors()).anyMatch(name -> name.startsWith(built ? "srg-supervisor-" : "supervisor-"));
    }

    // SPEC MON-3: the outcome, the output and the timeout are the same through either supervisor
    @Test
    void bothSupervisorsGiveTheSameOutcomes() throws Exception {
        LocalExecutionBackend compiled = fixture.backend(exits);
        LocalExecutionBackend script;
        System.setProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY, "script");
        try {
            script = fixture.backend(exits);
        } finally {
            System.clearProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY);
        }
        assertThat(supervisors()).anyMatch(name -> name.startsWith("supervisor-") && name.endsWith(".sh"));

        for (LocalExecutionBackend backend : List.of(compiled, script)) {
            String failing = newId();
            String slow = newId();
            backend.launch(BackendFixture.shell(failing, "echo out; echo err >&2; whoami; exit 3"));
            backend.launch(new LaunchSpec(slow, TaskKind.SHELL, "echo started; sleep 60", 250, Duration.ofMillis(1500), Map.of()));

            ExitStatus failed = exits.await(failing);
            assertThat(failed.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
            assertThat(failed.exitCode()).isEqualTo(3);
            assertThat(failed.startedAt()).isNotNull();
            String log = fixture.log(backend, failing);
            assertThat(log).contains("out").contains("err").doesNotContain("root");
            ExitStatus timedOut = exits.await(slow);
            assertThat(timedOut.reason()).isEqualTo(FailureReason.TIMEOUT);
            assertThat(timedOut.exitCode()).isNull();
            assertThat(Duration.between(timedOut.startedAt(), timedOut.finishedAt())).isBetween(
                    Duration.ofMillis(1400), Duration.ofSeconds(20));
            assertThat(fixture.log(backend, slow)).contains("started");
        }
    }

    private List<String> supervisors() throws Exception {
        try (Stream<Path> files = Files.list(fixture.baseDirectory.resolve(".supervisor"))) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
