package dev.srg.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A directory a task must reach where it is (a CSV data source's, a socket a test holds): not in
 * /tmp, /var/tmp or /dev/shm, of which a task of its own uid has a private copy (README "Isolation
 * between tasks"). As root under {@value #ROOT_TEXT} (traversable, not listable); otherwise tasks
 * share the server's uid and its /tmp, and a temporary directory does.
 */
public final class TaskReachableDirectories {
    private static final String ROOT_TEXT = "/var/lib/srg-test-files";
    private static final Path ROOT = Path.of(ROOT_TEXT);

    private TaskReachableDirectories() {}

    /**
     * A new, empty log file every task may append to (mode 0666), alone in a directory of its own
     * ({@link #remove} it with its directory): a test's record of what its tasks did.
     */
    public static Path sideEffectsLog(String prefix) throws IOException {
        Path dir = create(prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Path log = dir.resolve("side-effects.log");
        Files.createFile(log);
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        return log;
    }

    /** Removes a file made by {@link #sideEffectsLog} and its directory, or a directory made by {@link #create} and what it holds. */
    public static void remove(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.getParent();
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // already gone
        }
    }

    /** A new, empty directory (0700: the test opens it as it needs); the test removes it. */
    public static Path create(String prefix) throws IOException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Files.createTempDirectory(prefix);
        }
        Files.createDirectories(ROOT);
        Files.setPosixFilePermissions(ROOT, PosixFilePermissions.fromString("rwx--x--x"));
        return Files.createTempDirectory(ROOT, prefix);
    }
}
