package dev.srg.execution.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitListener;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.TaskKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A base directory the task user can reach (JUnit's @TempDir is 0700), backends on it, and the
 * exits they report. A test class holds one per test as {@code @RegisterExtension final BackendFixture
 * fixture = new BackendFixture();}: it is closed (its backends too) after each test.
 */
final class BackendFixture implements AutoCloseable, AfterEachCallback {

    private static final Path ROOT = Path.of("/tmp/srg-execution-tests");

    final Path baseDirectory;
    private final List<LocalExecutionBackend> backends = new ArrayList<>();

    BackendFixture() {
        try {
            Files.createDirectories(ROOT);
            Files.setPosixFilePermissions(ROOT, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        baseDirectory = ROOT.resolve(UUID.randomUUID().toString());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
    }

    /** A backend with the machine's cgroups. */
    LocalExecutionBackend backend(Exits exits) {
        return backend(LocalBackendConfig.defaults(baseDirectory), exits);
    }

    LocalExecutionBackend backend(LocalBackendConfig config, Exits exits) {
        LocalExecutionBackend backend = new LocalExecutionBackend(config, exits);
        backends.add(backend);
        return backend;
    }

    /** A backend started while a system property is set (the backend reads it at its start). */
    LocalExecutionBackend backendWithProperty(String property, String value, Exits exits) {
        System.setProperty(property, value);
        try {
            return backend(exits);
        } finally {
            System.clearProperty(property);
        }
    }

    /** A backend that runs tasks as its own uid, as a server that is not root does. */
    LocalExecutionBackend backendSharingItsUid(LocalBackendConfig config, Exits exits) {
        LocalExecutionBackend backend = new LocalExecutionBackend(config, exits, false);
        backends.add(backend);
        return backend;
    }

    LocalBackendConfig withoutUsableCgroups() {
        return LocalBackendConfig.defaults(baseDirectory).withCgroupRoot(Optional.of(Path.of("/nonexistent/cgroup")));
    }

    static LaunchSpec shell(String id, String script) {
        return new LaunchSpec(id, TaskKind.SHELL, script, 1000, Duration.ofMinutes(1), Map.of());
    }

    static LaunchSpec python(String id, String script) {
        return new LaunchSpec(id, TaskKind.PYTHON, script, 1000, Duration.ofMinutes(1), Map.of());
    }

    static String newId() {
        return "i-" + UUID.randomUUID();
    }

    /** A number to put on the command line of a task's processes, to find them later. */
    static int token() {
        return 100_000 + ThreadLocalRandom.current().nextInt(800_000);
    }

    /** Pids of live processes whose command line holds {@code sleep <token>}. */
    static List<Long> processesWithToken(int token) throws IOException {
        List<Long> found = new ArrayList<>();
        String needle = "sleep\0" + token;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                if (ProcFs.cmdline(pid).contains(needle) && ProcFs.startTicks(pid).isPresent()) {
                    found.add(pid);
                }
            }
        }
        return found;
    }

    /** Waits until instance {@code id}'s supervisor has taken its run; that supervisor's pid. */
    long awaitStarted(String id) {
        Path started = baseDirectory.resolve(id).resolve("started");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started));
        try {
            return Long.parseLong(Files.readString(started).trim().split(" ")[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String log(LocalExecutionBackend backend, String id) throws IOException {
        Path log = backend.outputLog(id);
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** The uid and gid the instance runs (or ran) as; only when the server is root. */
    TaskIdentity identity(String id) {
        return TaskIdentities.recorded(new InstanceDirectory(baseDirectory.resolve(id))).orElseThrow();
    }

    Path home(String id) {
        return baseDirectory.resolve(id).resolve("home");
    }

    @Override
    public void close() throws IOException {
        backends.forEach(LocalExecutionBackend::close);
        removeLeftCgroups();
        if (Files.exists(baseDirectory)) {
            try (Stream<Path> paths = Files.walk(baseDirectory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    /**
     * Removes the cgroups of this fixture's instances that are left. A test that kills a supervisor
     * and never has a backend recover the instance (a server's next start would end it and remove
     * them: {@code LocalExecutionBackend.finish}) left its empty cgroups on the machine, one a run.
     */
    private void removeLeftCgroups() throws IOException {
        if (!Files.isDirectory(baseDirectory)) {
            return;
        }
        Optional<Path> root = LocalBackendConfig.defaults(baseDirectory).cgroupRoot();
        if (root.isEmpty()) {
            return;
        }
        CgroupLayout layout = CgroupLayout.detect(root.get());
        try (DirectoryStream<Path> instances = Files.newDirectoryStream(baseDirectory, "i-*")) {
            for (Path instance : instances) {
                for (Path cgroup : layout.instanceDirectories(instance.getFileName().toString())) {
                    try {
                        Files.deleteIfExists(cgroup); // an rmdir: refused while a process is in it
                    } catch (IOException e) {
                        // still in use: a test's own assertion on its processes says more than this would
                    }
                }
            }
        }
    }

    /** Records every exit reported. */
    static final class Exits implements ExitListener {
        private final Map<String, List<ExitStatus>> exits = new ConcurrentHashMap<>();

        @Override
        public void onExit(String instanceId, ExitStatus status) {
            exits.computeIfAbsent(instanceId, id -> new CopyOnWriteArrayList<>()).add(status);
        }

        ExitStatus await(String instanceId) {
            return await(instanceId, Duration.ofSeconds(60));
        }

        ExitStatus await(String instanceId, Duration timeout) {
            Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(20)).until(() -> count(instanceId) > 0);
            return exits.get(instanceId).get(0);
        }

        /** The first exit reported (there must be one). */
        ExitStatus get(String instanceId) {
            return exits.get(instanceId).get(0);
        }

        int count(String instanceId) {
            return exits.getOrDefault(instanceId, List.of()).size();
        }
    }


    /** The marker of a start prepared ahead ({@code <base>/.ahead/<id>}). */
    Path aheadMarker(String id) {
        return baseDirectory.resolve(LocalExecutionBackend.AHEAD_DIRECTORY).resolve(id);
    }

    /** Makes the markers of these starts say a process that has exited wrote them (as after a crash). */
    void markersWrittenByAProcessThatIsGone(String... ids) throws Exception {
        Process gone = new ProcessBuilder("sleep", "0.2").start();
        long ticks = ProcFs.startTicks(gone.pid()).orElseThrow();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        for (String id : ids) {
            Files.writeString(aheadMarker(id), gone.pid() + " " + ticks + "\n");
        }
    }

    /** Nothing of a start that was never launched is left: its directory, marker, uid claim and cgroups. */
    void assertStartLeftNothing(String id, long uid) {
        assertThat(baseDirectory.resolve(id)).doesNotExist();
        assertThat(aheadMarker(id)).doesNotExist();
        assertThat(baseDirectory.resolve(TaskIdentities.SLOTS_DIRECTORY).resolve(Long.toString(uid))).doesNotExist();
        assertThat(CgroupLayout.detect(Path.of("/sys/fs/cgroup")).instanceDirectories(id))
                .allSatisfy(cgroup -> assertThat(cgroup).doesNotExist());
    }
    /** A process's nice (field 19 of /proc/PID/stat). */
    static int niceOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    /** The network namespaces a process holds descriptors of (a launcher's made ahead), as net:[inode]. */
    static Set<String> netNamespacesHeldBy(long pid) throws IOException {
        Set<String> namespaces = new TreeSet<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("net:[")) {
                        namespaces.add(target);
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return namespaces;
    }
}
