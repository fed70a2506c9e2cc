package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static dev.srg.execution.local.BackendFixture.shell;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.Launched;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A task runs at most once however it is launched, and its exit is reported once per backend. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ExactlyOnceTest {

    /** Counts its runs in a file of its home, which stays across launches. */
    private static final String COUNTING = "echo run >> \"$HOME/runs\"\nsleep 0.5\nexit 6\n";

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();
    private final LocalExecutionBackend backend = fixture.backend(exits);

    @Test
    void concurrentLaunchesRunTheTaskOnce() throws Exception {
        String id = newId();
        List<Launched> launched = launchConcurrently(id, List.of(backend, backend, backend, backend, backend, backend));

        assertThat(exits.await(id).exitCode()).isEqualTo(6);
        assertThat(launched).filteredOn(l -> l.outcome() == LaunchOutcome.STARTED).hasSize(1);
        assertThat(runs(id)).isEqualTo(1);
        Thread.sleep(500);
        assertThat(exits.count(id)).isEqualTo(1);
    }

    @Test
    void concurrentLaunchesFromTwoBackendsOnOneDirectoryRunTheTaskOnce() throws Exception {
        BackendFixture.Exits otherExits = new BackendFixture.Exits();
        LocalExecutionBackend other = fixture.backend(otherExits);

        for (int round = 0; round < 5; round++) {
            String id = newId();
            launchConcurrently(id, List.of(backend, other, backend, other));

            assertThat(exits.await(id).exitCode()).isEqualTo(6);
            assertThat(otherExits.await(id).exitCode()).isEqualTo(6);
            assertThat(runs(id)).isEqualTo(1);
        }
    }

    @Test
    void launchAfterAFinishedRunDoesNotRunItAgain() throws Exception {
        String id = newId();
        backend.launch(shell(id, COUNTING));
        ExitStatus first = exits.await(id);

        assertThat(backend.launch(shell(id, COUNTING)).outcome()).isEqualTo(LaunchOutcome.FINISHED);

        // A new server (after a crash that lost the exit) launching it again gets the same outcome.
        BackendFixture.Exits laterExits = new BackendFixture.Exits();
        LocalExecutionBackend later = fixture.backend(laterExits);
        assertThat(later.launch(shell(id, COUNTING)).outcome()).isEqualTo(LaunchOutcome.FINISHED);
        assertThat(laterExits.await(id)).isEqualTo(first);
        later.launch(shell(id, COUNTING));

        assertThat(runs(id)).isEqualTo(1);
        assertThat(exits.count(id)).isEqualTo(1);
        assertThat(laterExits.count(id)).isEqualTo(1);
    }

    @Test
    void aSecondSupervisorForTheSameInstanceRunsNothing() throws Exception {
        String id = newId();
        backend.launch(shell(id, COUNTING));
        exits.await(id);
        Path supervisor;
        try (Stream<Path> scripts = Files.list(fixture.baseDirectory.resolve(".supervisor"))) {
            // the binary (or script), not the launcher's log beside it
            supervisor = scripts.filter(p -> p.getFileName().toString().startsWith("srg-supervisor-") || p.toString().endsWith(".sh"))
                    .findFirst().orElseThrow();
        }

        // What a stale launch racing a finished one amounts to: the guard is already taken.
        Process second = new ProcessBuilder(supervisor.toString(), fixture.baseDirectory.resolve(id).toString())
                .redirectErrorStream(true)
                .start();

        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).isEqualTo(75);
        assertThat(runs(id)).isEqualTo(1);
    }

    @Test
    void cancelBeforeLaunchMeansItNeverRuns() throws Exception {
        String id = newId();

        backend.cancel(id);
        Launched launched = backend.launch(shell(id, COUNTING));

        assertThat(launched.outcome()).isEqualTo(LaunchOutcome.FINISHED);
        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.CANCELLED);
        assertThat(exits.await(id).startedAt()).isNull();
        assertThat(runs(id)).isZero();
        assertThat(exits.count(id)).isEqualTo(1);
    }

    @Test
    void invalidSpecsAreRefused() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> shell("../escape", "true"));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> shell(".supervisor", "true"));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> new LaunchSpec("a", dev.srg.execution.TaskKind.SHELL, "true", 0, Duration.ofSeconds(1),
                        java.util.Map.of()));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> new LaunchSpec("a", dev.srg.execution.TaskKind.SHELL, "true", 1, Duration.ofSeconds(1),
                        java.util.Map.of("BAD=NAME", "x")));
    }

    private static List<Launched> launchConcurrently(String id, List<LocalExecutionBackend> backends) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(backends.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Launched>> futures = new ArrayList<>();
            for (LocalExecutionBackend each : backends) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return each.launch(shell(id, COUNTING));
                }));
            }
            go.countDown();
            List<Launched> launched = new ArrayList<>();
            for (Future<Launched> future : futures) {
                launched.add(future.get(30, TimeUnit.SECONDS));
            }
            return launched;
        } finally {
            pool.shutdownNow();
        }
    }

    private int runs(String id) throws IOException {
        Path runs = fixture.home(id).resolve("runs");
        return Files.exists(runs) ? Files.readAllLines(runs).size() : 0;
    }
}
