package dev.srg.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees when the server or the demo cannot start, and the demo's safe default address. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StartupTest {
    @TempDir
    Path dir;

    /**
     * JUnit makes its directory private, and a server run as root on a private data directory keeps
     * its PostgreSQL and tasks in /var/lib/srg/&lt;hash&gt;, which nothing would remove after the test:
     * open the directory to other users as a data directory normally is.
     */
    @BeforeEach
    void traversable() throws IOException {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aUsedDataDirectoryOrABusyPortIsOneLineAndExitTwoNeverAStackTrace() throws Exception {
        Path used = dir.resolve("used");
        try (ServerProcess first = ServerProcess.start(used)) {
            ServerProcess.Result again = ServerProcess.run("demo", "--exit", "--port", "0", "--data-dir", used.toString());
            assertThat(again.exitCode()).as(again.output()).isEqualTo(2);
            assertThat(again.output()).contains("srg: cannot start: another srg server is using the data directory " + used);
            assertNoStackTrace(again.output());

            Path other = dir.resolve("other");
            ServerProcess.Result busy = ServerProcess.run("server", "--host", "127.0.0.1", "--port", Integer.toString(first.port()),
                    "--data-dir", other.toString());
            assertThat(busy.exitCode()).as(busy.output()).isEqualTo(2);
            assertThat(busy.output()).contains("srg: cannot start: port " + first.port() + " on 127.0.0.1 is in use")
                    .doesNotContain(" ERROR "); // said once: not Javalin's "Failed to start" line as well
            assertNoStackTrace(busy.output());
            // the port is found busy after the embedded PostgreSQL started: it was stopped again
            Path pgData = runtimeDirectory(other).resolve("postgres");
            assertThat(pgData.resolve("PG_VERSION")).as("the database was initialised before the port was tried").exists();
            assertThat(pgData.resolve("postmaster.pid")).doesNotExist();
            assertThat(processesUsing(pgData)).as("processes still running on " + pgData).isEmpty();
        }
    }

    @Test
    void theDemoListensOnLoopbackUnlessAskedOtherwise() throws Exception {
        ServerProcess.Result demo = ServerProcess.run("demo", "--exit", "--port", "0", "--data-dir", dir.resolve("demo").toString());
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("(listening on 127.0.0.1;").contains("Demo data is ready");
    }

    @Test
    void helpPrintsThePercentSignWithoutPicocliWarnings() throws Exception {
        for (String command : new String[] {"server", "demo"}) {
            ServerProcess.Result help = ServerProcess.run(command, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.output()).contains("15% off years").doesNotContain("WARN").contains("(default 0.0.0.0, 127.0.0.1 for the");
        }
    }

    /**
     * The training run behind the server's AOT cache (the launcher makes the cache from it): it
     * starts a real server, calls it, stops it and exits 0 — a failure would leave every restart
     * without its cache, silently — and leaves no directory or PostgreSQL behind.
     */
    @Test
    void theServerTrainingRunEndsCleanly() throws Exception {
        Path tmp = dir.resolve("tmp");
        Files.createDirectories(tmp);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx160m",
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), ServerTraining.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        try (var left = Files.list(tmp)) {
            assertThat(left.map(f -> f.getFileName().toString())).as("left in the temporary directory")
                    .noneMatch(name -> name.startsWith("srg-server-training-"));
        }
        assertThat(processesUsing(tmp)).as("processes still running in " + tmp).isEmpty();
    }

    /** Where srg keeps the database of {@code dataDir} (elsewhere when the directory is private, RUNTIME-DIRECTORY says). */
    private static Path runtimeDirectory(Path dataDir) throws IOException {
        Path pointer = dataDir.resolve("RUNTIME-DIRECTORY");
        return Files.exists(pointer) ? Path.of(Files.readString(pointer).strip()) : dataDir;
    }

    /** The processes whose command line names {@code path} (a postmaster runs with {@code -D path}). */
    private static List<Long> processesUsing(Path path) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(path.toString())).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    private static void assertNoStackTrace(String output) {
        assertThat(output).doesNotContain("\tat ").doesNotContain("Exception");
    }
}
