package dev.srg.backup;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.local.LocalExecutionBackend;
import dev.srg.store.Database;
import dev.srg.store.EmbeddedPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code srg restore}: a backup ({@link BackupArchive}) made into a new data directory, with no
 * server running on it. Everything is checked before anything is written (the whole file, its
 * schema, the key); then the directory is marked unfinished ({@value #MARKER}: a server refuses to
 * start on it), the files are written, the database is started once to replay its WAL and to find
 * the runs that were under way when the backup was taken, and the mark is removed last. A restore
 * that fails takes back what it wrote; one killed leaves the mark.
 *
 * <p>Runs under way at the backup (STARTING or RUNNING, launched on the local backend) belonged to
 * supervisors of the host backed up: each is recorded {@code LOST} for the restored server's
 * recovery (never launched again: it may have run) unless its directory is in the task directory
 * (the same host's supervisors, found and adopted). Queued ones stay queued and run once.
 */
public final class Restore {
    /** In a data directory whose restore has not finished. */
    public static final String MARKER = "RESTORE-UNFINISHED";
    /** Where the restored settings go, in the new data directory. */
    public static final String SETTINGS_DIRECTORY = "restored-settings";

    /** Refused before anything was written (exit 2), or failed and taken back (exit 1). */
    public static final class RestoreException extends IOException {
        private final boolean refused;

        RestoreException(boolean refused, String message, Throwable cause) {
            super(message, cause);
            this.refused = refused;
        }

        public boolean refused() {
            return refused;
        }
    }

    /** What was restored. */
    public record Restored(BackupManifest manifest, BackupEnd end, long queued, List<String> lost, List<String> adopted,
                           Path config) {}

    /** Where the restore puts the database: the data directory's runtime directory (its own, or under /var/lib/srg as root). */
    @FunctionalInterface
    public interface RuntimeOf {
        Path of(Path dataDir) throws IOException;
    }

    private Restore() {}

    /** Stops a server's start on a data directory a restore did not finish. */
    public static void refuseUnfinished(Path dataDir) throws IOException {
        if (Files.exists(dataDir.resolve(MARKER))) {
            throw new IOException("the data directory " + dataDir + " holds a restore that did not finish (" + MARKER
                    + "): its database may not be whole. Delete the directory and run srg restore again");
        }
    }

    /**
     * @param keyFile the data-source key, kept apart from the backup (null: the one in the backup, taken with --with-key)
     * @param taskDir where the restored server's local tasks will live (null: the runtime directory's {@code instances})
     */
    public static Restored run(Path backup, Path dataDir, RuntimeOf runtimeOf, Path keyFile, Path taskDir, Clock clock)
            throws IOException {
        requireNonNull(backup, "backup is null");
        Path target = dataDir.toAbsolutePath().normalize();
        BackupArchive.Checked checked;
        try {
            checked = BackupArchive.verify(backup);
        } catch (java.nio.file.NoSuchFileException e) {
            throw refused("the backup " + backup + " does not exist");
        } catch (BackupArchive.NotABackupException e) {
            throw refused(e.getMessage() + ". Nothing was changed");
        }
        BackupManifest manifest = checked.manifest();
        String known = Database.newestMigration().orElseThrow(() -> refused("this srg's migrations cannot be listed"));
        if (Database.compareVersions(manifest.schema(), known) > 0) {
            throw refused("the backup's schema is at version " + manifest.schema() + ", newer than this srg's (" + known
                    + "): a newer srg took it, and this one would not know its tables. Nothing was changed. Restore it with"
                    + " that srg or a newer one");
        }
        byte[] key = null;
        if (keyFile != null) {
            if (!Files.isRegularFile(keyFile) || !Files.isReadable(keyFile)) {
                throw refused("the key " + keyFile + " cannot be read. Nothing was changed");
            }
            key = Files.readAllBytes(keyFile);
            if (!OnlineBackup.fingerprint(key).equals(manifest.keyFingerprint())) {
                throw refused("the key " + keyFile + " is not the one this backup's secrets are sealed with (fingerprint "
                        + OnlineBackup.fingerprint(key) + ", the backup's " + manifest.keyFingerprint() + "). Nothing was changed");
            }
        } else if (!manifest.keyIncluded()) {
            throw refused("the backup does not hold the data-source key (it was taken without --with-key): give the key"
                    + " with --datasource-key FILE (the datasource.key of the server backed up, fingerprint "
                    + manifest.keyFingerprint() + "). Nothing was changed");
        }
        if (Files.exists(target) && (!Files.isDirectory(target) || !empty(target))) {
            throw refused("the data directory " + target + " is not empty: srg restore writes only into a new or empty"
                    + " directory. Nothing was changed");
        }
        boolean created = !Files.exists(target);
        Files.createDirectories(target);
        List<Path> written = new ArrayList<>();
        EmbeddedPostgres pg = null;
        try (FileChannel lockFile = FileChannel.open(target.resolve("srg.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                throw refused("a srg server is using " + target);
            }
            Path marker = target.resolve(MARKER);
            Files.writeString(marker, "srg restore from " + backup.toAbsolutePath() + " (taken " + manifest.takenAt() + ")\n");
            force(marker);
            force(target);
            Path runtime = runtimeOf.of(target).toAbsolutePath().normalize();
            if (!runtime.equals(target)) {
                for (String name : List.of("postgres", "postgres.password")) {
                    if (Files.exists(runtime.resolve(name))) {
                        throw refused(runtime.resolve(name) + " exists (left by an earlier server of a data directory at "
                                + target + "): remove it, then restore again. Nothing was changed");
                    }
                }
                written.add(runtime.resolve("postgres"));
                written.add(runtime.resolve("postgres.password"));
                written.add(runtime.resolve("postgres.port"));
            }
            Path tasks = taskDir != null ? taskDir.toAbsolutePath().normalize() : runtime.resolve("instances");
            extract(backup, target, runtime, key == null, written);
            if (key != null) {
                writePrivate(target.resolve(BackupArchive.KEY), key);
            }
            Path config = writeSettings(target, manifest.settings());
            EmbeddedPostgres.adoptRestored(runtime);
            // the database's first start replays the backup's WAL: it opens as it was when the backup ended
            pg = EmbeddedPostgres.start(runtime);
            List<String> lost = new ArrayList<>();
            List<String> adopted = new ArrayList<>();
            long queued;
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("srg"), pg.user(), pg.password());
                 Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM instances WHERE status = 'QUEUED'")) {
                    rs.next();
                    queued = rs.getLong(1);
                }
                try (ResultSet rs = s.executeQuery("SELECT coalesce(run_id, id) FROM instances"
                        + " WHERE status IN ('STARTING', 'RUNNING') AND backend = 'local' ORDER BY sequence")) {
                    while (rs.next()) {
                        String run = rs.getString(1);
                        if (LocalExecutionBackend.recordLostElsewhere(tasks, run, clock.instant(), "it was running on the"
                                + " server backed up when the backup (" + manifest.takenAt() + ") was taken; its supervisor"
                                + " is not on this host (srg restore): not run again")) {
                            written.add(tasks.resolve(run));
                            lost.add(run);
                        } else {
                            adopted.add(run);
                        }
                    }
                }
            } catch (SQLException e) {
                throw new IOException("cannot read the restored database: " + e.getMessage(), e);
            }
            pg.close();
            pg = null;
            Files.delete(marker);
            force(target);
            return new Restored(manifest, checked.end(), queued, lost, adopted, config);
        } catch (IOException | RuntimeException e) {
            if (pg != null) {
                pg.close();
            }
            takeBack(target, created, written);
            if (e instanceof RestoreException) {
                throw e;
            }
            throw new RestoreException(false, "the restore failed and was taken back (" + target + " is as before): "
                    + e.getMessage(), e);
        }
    }

    /** The backup's files where they go: the database's under the runtime directory, the key (when wanted) in the data directory. */
    private static void extract(Path backup, Path target, Path runtime, boolean wantKey, List<Path> written) throws IOException {
        Path pgData = runtime.resolve("postgres");
        BackupArchive.read(backup, (name, directory, size, content) -> {
            Path out;
            if (name.startsWith(BackupArchive.POSTGRES) || name.equals("postgres/")) {
                out = pgData.resolve(name.substring(BackupArchive.POSTGRES.length()));
            } else if (name.equals(BackupArchive.PASSWORD)) {
                out = runtime.resolve(BackupArchive.PASSWORD);
            } else if (name.equals(BackupArchive.KEY)) {
                if (!wantKey) {
                    return;
                }
                out = target.resolve(BackupArchive.KEY);
            } else if (name.startsWith(BackupArchive.SETTINGS) && !directory) {
                out = target.resolve(SETTINGS_DIRECTORY).resolve(name.substring(BackupArchive.SETTINGS.length()));
            } else {
                return; // nothing this srg needs
            }
            out = out.normalize();
            if (!out.startsWith(pgData) && !out.startsWith(target) && !out.startsWith(runtime)) {
                throw new BackupArchive.NotABackupException("an entry outside its place: " + name);
            }
            if (directory) {
                Files.createDirectories(out);
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwx------"));
                return;
            }
            Files.createDirectories(out.getParent());
            try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
                content.transferTo(o);
            }
        });
        if (!Files.exists(pgData.resolve("backup_label")) || !Files.exists(runtime.resolve(BackupArchive.PASSWORD))) {
            throw new BackupArchive.NotABackupException(backup + " holds no database to restore");
        }
    }

    /** The settings as a --config file of their own ({@code restored-settings/server.properties}); null when there are none. */
    private static Path writeSettings(Path target, Map<String, String> settings) throws IOException {
        if (settings.isEmpty()) {
            return null;
        }
        Path dir = target.resolve(SETTINGS_DIRECTORY);
        Files.createDirectories(dir);
        StringBuilder out = new StringBuilder("# the settings of the server backed up (srg restore); start with --config ")
                .append(dir.resolve("server.properties")).append('\n');
        for (var e : new TreeMap<>(settings).entrySet()) {
            String value = e.getValue();
            if (value.startsWith(BackupArchive.SETTINGS)) {
                value = dir.resolve(value.substring(BackupArchive.SETTINGS.length())).toString();
            }
            out.append(e.getKey()).append('=').append(value).append('\n');
        }
        Path file = dir.resolve("server.properties");
        Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
        return file;
    }

    private static void writePrivate(Path file, byte[] content) throws IOException {
        try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            o.write(content);
        }
    }

    /** What a failed restore wrote is removed: the directory as it was (gone, or empty), the runtime's database, the runs' marks. */
    private static void takeBack(Path target, boolean created, List<Path> written) {
        for (Path p : written) {
            deleteTree(p);
        }
        try (var children = Files.list(target)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                deleteTree(child);
            }
        } catch (IOException e) {
            // gone already
        }
        if (created) {
            deleteTree(target);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: the message says what to delete
        }
    }

    private static boolean empty(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return list.findAny().isEmpty();
        }
    }

    private static void force(Path p) throws IOException {
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    private static RestoreException refused(String message) {
        return new RestoreException(true, message, null);
    }
}
