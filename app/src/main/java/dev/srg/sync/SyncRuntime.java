package dev.srg.sync;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * How a sync worker process is started: the java the server runs on and a classpath the task's
 * uid can read. The server's own jars may sit where other uids cannot go (a build under /root), so
 * the jars the worker needs are copied once into {@code <runtime dir>/sync-lib} (0755/0644); a
 * classes directory (a development build) is used where it is.
 */
public final class SyncRuntime {
    /** What the worker loads: srg itself, JSON, the JDBC drivers. */
    private static final List<String> WORKER_JARS = List.of("srg", "jackson-", "postgresql-", "mariadb-java-client-");

    private final String java;
    private final String classpath;

    public SyncRuntime(String java, String classpath) {
        this.java = requireNonNull(java, "java is null");
        this.classpath = requireNonNull(classpath, "classpath is null");
    }

    /** The running JVM's java and classpath, its jars copied into {@code libDir}. */
    public static SyncRuntime of(Path libDir) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> entries = new ArrayList<>();
        try {
            Files.createDirectories(libDir);
            Files.setPosixFilePermissions(libDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path p = Path.of(entry);
                String name = p.getFileName() == null ? "" : p.getFileName().toString();
                if (Files.isDirectory(p)) {
                    entries.add(p.toAbsolutePath().toString());
                } else if (name.endsWith(".jar") && WORKER_JARS.stream().anyMatch(name::startsWith)) {
                    Path copy = libDir.resolve(name);
                    if (!Files.exists(copy) || Files.size(copy) != Files.size(p)) {
                        Path temporary = libDir.resolve(name + ".tmp");
                        Files.copy(p, temporary, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
                        Files.move(temporary, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                    entries.add(copy.toAbsolutePath().toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the sync worker's classpath in " + libDir, e);
        }
        return new SyncRuntime(java, String.join(File.pathSeparator, entries));
    }

    /**
     * The worker's command: a small heap (a sync streams; its memory is bounded by channels x
     * batch size), the serial collector (few threads: the task's pids limit counts them).
     */
    public List<String> argv(String jobFile) {
        return List.of(java, "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=50", "-XX:-UsePerfData", "-Xss512k",
                "-cp", classpath, SyncMain.class.getName(), jobFile);
    }

    /**
     * The command of another worker main class of this jar (the DataService worker), on the same
     * java and classpath; a service keeps the JIT's full tiers (it serves for long).
     */
    public List<String> argvOf(String mainClass, List<String> args) {
        List<String> argv = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=50", "-XX:-UsePerfData",
                "-Xss512k", "-cp", classpath, mainClass));
        argv.addAll(args);
        return argv;
    }
}
