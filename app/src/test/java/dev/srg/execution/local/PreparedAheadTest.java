package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.shell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.RecoveredInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A start's files written while its transaction commits (issue 17, eleventh round;
 * {@link LocalExecutionBackend#prepareAhead}): nothing runs before the launch, a start that does
 * not commit leaves nothing (its uid above all), and what a crash in between leaves is swept by
 * the next backend's recover unless the store holds the instance active. (Off by default,
 * {@code srg.execution.prepareAhead}; the sweep runs whatever the setting.)
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PreparedAheadTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();
    private final CgroupLayout cgroups = CgroupLayout.detect(Path.of("/sys/fs/cgroup"));

    @BeforeEach
    void asRoot() {
        // the uid claims are what must not leak; only root has them
        assumeThat(ProcFs.currentUid()).as("only as root").isZero();
    }

    @Test
    void aStartPreparedAheadRunsNothingUntilItsLaunchAndThenRunsOnce() throws Exception {
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.PREPARE_AHEAD_PROPERTY, "true", exits);
        String id = newId();
        LaunchSpec spec = shell(id, "echo ran ahead-prepared\n");

        backend.prepareAhead(spec);
        awaitWritten(id);
        Thread.sleep(300);

        assertThat(fixture.baseDirectory.resolve(id).resolve("started")).doesNotExist();
        assertThat(exits.count(id)).isZero();
        assertThat(backend.launch(spec).outcome()).isEqualTo(LaunchOutcome.STARTED);
        ExitStatus exit = exits.await(id);
        assertThat(exit.reason()).isEqualTo(FailureReason.NONE);
        assertThat(fixture.log(backend, id)).contains("ran ahead-prepared");
        // its marker goes when it ends; launched again, it does not run again
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(fixture.aheadMarker(id)));
        assertThat(backend.launch(spec).outcome()).isEqualTo(LaunchOutcome.FINISHED);
        Thread.sleep(300);
        assertThat(exits.count(id)).isEqualTo(1);
    }

    @Test
    void aStartPreparedAheadAndDiscardedLeavesNoFilesNoCgroupsAndNoUid() {
        LocalExecutionBackend backend = fixture.backendWithProperty(LocalExecutionBackend.PREPARE_AHEAD_PROPERTY, "true", exits);
        String id = newId();
        backend.prepareAhead(shell(id, "echo never\n"));
        long uid = awaitWritten(id);

        backend.discardAhead(id);

        fixture.assertStartLeftNothing(id, uid);
        assertThat(exits.count(id)).isZero();
    }

    @Test
    void whatACrashLeftOfAStartPreparedAheadIsSweptUnlessTheStoreHoldsItActive() throws Exception {
        LocalExecutionBackend crashed = fixture.backendWithProperty(LocalExecutionBackend.PREPARE_AHEAD_PROPERTY, "true", exits);
        String neverCommitted = newId();
        String committed = newId();
        LaunchSpec committedSpec = shell(committed, "echo committed before the crash\n");
        crashed.prepareAhead(shell(neverCommitted, "echo never\n"));
        crashed.prepareAhead(committedSpec);
        long uid = awaitWritten(neverCommitted);
        awaitWritten(committed);
        crashed.close();

        // while the process that wrote them lives (here: this one), its starts are not touched:
        // in a cluster on one machine a former leader's transaction may still commit
        LocalExecutionBackend next = fixture.backend(exits); // the sweep runs whatever the setting
        next.recover(List.of());
        assertThat(fixture.baseDirectory.resolve(neverCommitted).resolve("spec")).exists();
        assertThat(fixture.aheadMarker(neverCommitted)).exists();
        // the server died between the files and the COMMIT's answer: nothing discarded them
        fixture.markersWrittenByAProcessThatIsGone(neverCommitted, committed);
        List<RecoveredInstance> recovered = next.recover(List.of(committed));

        fixture.assertStartLeftNothing(neverCommitted, uid);
        assertThat(recovered).containsExactly(new RecoveredInstance(committed, RecoveredInstance.State.NOT_STARTED));
        assertThat(fixture.baseDirectory.resolve(committed).resolve("spec")).exists();
        assertThat(next.launch(committedSpec).outcome()).isEqualTo(LaunchOutcome.STARTED);
        assertThat(exits.await(committed).reason()).isEqualTo(FailureReason.NONE);
        assertThat(exits.count(neverCommitted)).isZero();
    }


    /** Waits until the start's files are all written (the cgroups are the last); its uid. */
    private long awaitWritten(String id) {
        Path dir = fixture.baseDirectory.resolve(id);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("env"))
                && cgroups.instanceDirectories(id).stream().allMatch(Files::exists));
        assertThat(fixture.aheadMarker(id)).exists();
        return fixture.identity(id).uid();
    }


}
