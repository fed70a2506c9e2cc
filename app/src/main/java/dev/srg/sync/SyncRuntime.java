package dev.srg.sync;

import static java.util.Objects.requireNonNull;

import dev.srg.trace.CrashPoint;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How a sync worker process is started: the java the server runs on and a classpath the task's
 * uid can read. The server's own jars may sit where other uids cannot go (a build under /root), so
 * the jars the worker needs are copied once into {@code <runtime dir>/sync-lib} (0755/0644); a
 * classes directory (a development build) is used where it is.
 *
 * <p>A worker is a short-lived JVM whose start and JIT were more than half of its CPU at 1M rows
 * (docs/benchmarks.md). When its classpath is all jars, the server makes a class archive for it
 * in the background, once per jar set and JDK, in the same directory: on JDK 25+ an AOT cache
 * (classes loaded and linked, method profiles) from a training run ({@link SyncTraining}), before
 * that a dynamic CDS archive of the same run. It is written under a temporary name as root and
 * renamed into place 0644: a worker sees the whole archive or none, two workers starting at once
 * only read it, and a worker that starts before it exists (or after it is removed) starts without.
 */
public final class SyncRuntime {
    /** What the worker loads: srg itself, JSON, the JDBC drivers. */
    private static final List<String> WORKER_JARS = List.of("srg", "jackson-", "postgresql-", "mariadb-java-client-");
    /** The worker's JVM options, the same in the training run (an archive is made for them). */
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=50", "-XX:-UsePerfData",
            "-Xss512k");
    private static final boolean AOT = Runtime.version().feature() >= 25;

    private final String java;
    private final String classpath;
    /** Where the worker's class archive is (it may not be yet), or null: none for this classpath. */
    private final Path archive;

    public SyncRuntime(String java, String classpath) {
        this(java, classpath, null);
    }

    private SyncRuntime(String java, String classpath, Path archive) {
        this.java = requireNonNull(java, "java is null");
        this.classpath = requireNonNull(classpath, "classpath is null");
        this.archive = archive;
    }

    /** The running JVM's java and classpath, its jars copied into {@code libDir}; the worker's class archive begun there. */
    public static SyncRuntime of(Path libDir) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> entries = new ArrayList<>();
        boolean allJars = true;
        StringBuilder identity = new StringBuilder(Runtime.version().toString()).append(java);
        try {
            Files.createDirectories(libDir);
            Files.setPosixFilePermissions(libDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path p = Path.of(entry);
                String name = p.getFileName() == null ? "" : p.getFileName().toString();
                if (Files.isDirectory(p)) {
                    entries.add(p.toAbsolutePath().toString());
                    allJars = false; // class archives take jars only
                } else if (name.endsWith(".jar") && WORKER_JARS.stream().anyMatch(name::startsWith)) {
                    Path copy = libDir.resolve(name);
                    if (!Files.exists(copy) || Files.size(copy) != Files.size(p)) {
                        Path temporary = libDir.resolve(name + ".tmp");
                        Files.copy(p, temporary, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
                        Files.move(temporary, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                    entries.add(copy.toAbsolutePath().toString());
                    identity.append(name).append(Files.size(copy)).append(Files.getLastModifiedTime(copy).toMillis());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the sync worker's classpath in " + libDir, e);
        }
        String classpath = String.join(File.pathSeparator, entries);
        if (!allJars || entries.isEmpty()) {
            return new SyncRuntime(java, classpath, null);
        }
        // named by the JDK and the jars (size, time): a new jar or JDK gets its own archive, never a stale one
        String key = Integer.toHexString(identity.toString().hashCode());
        SyncRuntime runtime = new SyncRuntime(java, classpath, libDir.resolve("sync-worker-" + key + (AOT ? ".aot" : ".jsa")));
        if (!Files.exists(runtime.archive)) {
            Thread.ofVirtual().name("srg-sync-archive").start(runtime::makeArchive);
        }
        return runtime;
    }

    /**
     * Makes the archive from a training run, as root, beside the jars; on failure the workers start
     * without one (it is only faster). Archives of other jar sets or JDKs are removed.
     */
    private void makeArchive() {
        Path dir = archive.getParent();
        Path work = null;
        try {
            work = Files.createTempDirectory(dir, ".building-");
            Path made = work.resolve("worker" + (AOT ? ".aot" : ".jsa"));
            List<String> training = new ArrayList<>(List.of(java));
            training.addAll(JVM_OPTIONS);
            if (AOT) {
                Path config = work.resolve("worker.aotconf");
                training.addAll(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + config, "-Xlog:aot=off", "-Xlog:cds=off"));
                training.addAll(List.of("-cp", classpath, SyncTraining.class.getName(), work.resolve("files").toString()));
                List<String> create = new ArrayList<>(List.of(java));
                create.addAll(JVM_OPTIONS);
                create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + config, "-XX:AOTCache=" + made,
                        "-Xlog:aot=off", "-Xlog:cds=off", "-cp", classpath));
                if (!run(training, work) || !run(create, work)) {
                    return;
                }
            } else {
                training.addAll(List.of("-XX:ArchiveClassesAtExit=" + made, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                        "-cp", classpath, SyncTraining.class.getName(), work.resolve("files").toString()));
                if (!run(training, work)) {
                    return;
                }
            }
            if (!Files.isRegularFile(made)) {
                return;
            }
            Files.setPosixFilePermissions(made, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(made, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (var old = Files.newDirectoryStream(dir, "sync-worker-*")) {
                for (Path p : old) {
                    if (!p.equals(archive)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            // no archive: the workers start without one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    private static boolean run(List<String> command, Path work) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("output.log").toFile()).start();
        // the server stopping does not wait for a training run, nor leaves it behind
        Thread stop = new Thread(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            return p.waitFor() == 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left in the runtime directory: harmless
        }
    }

    /**
     * The worker's command: a small heap (a sync streams; its memory is bounded by channels x
     * batch size), the serial collector (few threads: the task's pids limit counts them), the
     * class archive when it is there. The server's {@code srg.crash.at} ({@link CrashPoint}), read when
     * the command is built, is passed on when it is set: the worker's own points (e.g.
     * {@code sync.completed}) are reached in the worker's JVM.
     */
    public List<String> argv(String jobFile) {
        List<String> argv = new ArrayList<>(List.of(java));
        argv.addAll(JVM_OPTIONS);
        if (archive != null && Files.isRegularFile(archive)) {
            argv.addAll(AOT ? List.of("-XX:AOTCache=" + archive, "-Xlog:aot=off", "-Xlog:cds=off")
                    : List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
        }
        // test-only: a crash point the server was started with is the worker's too (docs/testing.md)
        String crashAt = System.getProperty(CrashPoint.PROPERTY, "");
        if (!crashAt.isEmpty()) {
            argv.add("-D" + CrashPoint.PROPERTY + "=" + crashAt);
        }
        argv.addAll(List.of("-cp", classpath, SyncMain.class.getName(), jobFile));
        return argv;
    }

    /**
     * The command of another worker main class of this jar (the DataService worker), on the same
     * java and classpath; a service keeps the JIT's full tiers (it serves for long).
     */
    public List<String> argvOf(String mainClass, List<String> args) {
        List<String> argv = new ArrayList<>(List.of(java));
        argv.addAll(JVM_OPTIONS);
        argv.addAll(List.of("-cp", classpath, mainClass));
        argv.addAll(args);
        return argv;
    }
}
