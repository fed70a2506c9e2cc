package dev.srg.dataservice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

/**
 * A Unix socket's path as {@code connect(2)} takes it. {@code sun_path} holds 107 bytes and a NUL, the JDK
 * takes 106 (it refuses 107: "Unix domain path too long"), and a worker's socket in its run's home under a long data directory is longer: the worker binds it by its
 * relative name from its home, and srg reaches it through a link to that home, in a directory of its own
 * (mode 700, under the system's temporary directory, made at the first long path and removed at close).
 * A short path is used as it is.
 */
final class SocketLinks implements AutoCloseable {
    static final int MAX_PATH_BYTES = 106;

    private final Map<Path, Path> links = new HashMap<>();
    private Path dir;

    /** {@code socket}, or a path of at most {@link #MAX_PATH_BYTES} to the same socket. */
    synchronized Path connectable(Path socket) {
        if (fits(socket)) {
            return socket;
        }
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("srg-ds", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path home = socket.getParent();
            Path link = links.get(home);
            if (link == null) {
                link = Files.createSymbolicLink(dir.resolve(Integer.toString(links.size() + 1)), home);
                links.put(home, link);
            }
            Path shorter = link.resolve(socket.getFileName());
            if (!fits(shorter)) {
                throw new IOException(shorter + " is still longer than " + MAX_PATH_BYTES + " bytes");
            }
            return shorter;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a short path to the worker's socket " + socket, e);
        }
    }

    private static boolean fits(Path socket) {
        return socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_PATH_BYTES;
    }

    @Override
    public synchronized void close() {
        if (dir == null) {
            return;
        }
        try {
            for (Path link : links.values()) {
                Files.deleteIfExists(link);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            links.clear();
            dir = null;
        }
    }
}
