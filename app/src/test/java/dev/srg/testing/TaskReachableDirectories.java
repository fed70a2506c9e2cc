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

    /** A new, empty directory; the test removes it. */
    public static Path create(String prefix) throws IOException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Files.createTempDirectory(prefix);
        }
        Files.createDirectories(ROOT);
        Files.setPosixFilePermissions(ROOT, PosixFilePermissions.fromString("rwx--x--x"));
        return Files.createTempDirectory(ROOT, prefix);
    }
}
