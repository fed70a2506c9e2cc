package dev.srg.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the files that unprivileged users must reach live: the embedded PostgreSQL's (it refuses
 * to run as root) and the tasks'. Normally the data directory itself. When srg runs as root and
 * the data directory is not reachable by other users (a checkout under /root, say), they live in
 * {@code /var/lib/srg/<hash of the data dir>} instead, and the data directory notes where.
 */
final class RuntimeDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeDirectory.class);
    static final Path FALLBACK_ROOT = Path.of("/var/lib/srg");

    private RuntimeDirectory() {}

    static Path resolve(Path dataDir) throws IOException {
        if (!isRoot() || traversableByOthers(dataDir)) {
            return dataDir;
        }
        Path runtime = FALLBACK_ROOT.resolve(hash(dataDir.toAbsolutePath().normalize().toString()));
        Files.createDirectories(runtime);
        Files.setPosixFilePermissions(FALLBACK_ROOT, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dataDir.resolve("RUNTIME-DIRECTORY"), runtime + "\n", StandardCharsets.UTF_8);
        LOG.warn("{} is not reachable by other users, so the embedded PostgreSQL and the tasks keep their files in {}",
                dataDir, runtime);
        return runtime;
    }

    private static boolean traversableByOthers(Path dir) throws IOException {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).map(l -> l.split("\\s+")[2]).anyMatch("0"::equals);
        } catch (IOException e) {
            return false;
        }
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
