package dev.srg.store;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A consistent copy of the embedded PostgreSQL while it runs: PostgreSQL's own low-level base
 * backup (the embedded binaries have no {@code pg_dump} nor {@code pg_basebackup}, and a host's
 * older ones refuse a newer server). Between {@code pg_backup_start} and {@code pg_backup_stop}
 * the data directory's files are copied as they are (PostgreSQL writes full pages to its WAL
 * meanwhile, so a page copied half-written is repaired), then the WAL from the backup's start to
 * its end, kept from recycling by a temporary replication slot made first. Started on the copy,
 * PostgreSQL replays that WAL from the {@code backup_label} and opens the database as it was when
 * the backup ended: every transaction committed by then, none half.
 *
 * <p>What is left out is what PostgreSQL's own {@code pg_basebackup} leaves out: the server's pid
 * and options files, the contents of {@code pg_wal} (but the backup's segments), {@code
 * pg_replslot}, {@code pg_dynshmem}, {@code pg_notify}, {@code pg_serial}, {@code pg_snapshots},
 * {@code pg_stat_tmp}, {@code pg_subtrans}, temporary files, relation cache init files; and srg's
 * {@code server.log}.
 */
public final class BaseBackup {
    /** Where the files go: names relative to the data directory, '/'-separated. */
    public interface Sink {
        void directory(String name) throws IOException;

        /**
         * A file of {@code size} bytes: {@code content} may end sooner (the file shrank while it was
         * copied; the sink pads it, as pg_basebackup does: the WAL's replay puts it right) and is read
         * no further than {@code size}.
         */
        void file(String name, long size, InputStream content) throws IOException;
    }

    /** What was copied: the WAL positions the backup spans and the data it holds. */
    public record Taken(String startLsn, String stopLsn, int walSegments, long files) {}

    private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "current_logfiles", "server.log", "recovery.signal", "standby.signal",
            "pg_internal.init", "postgresql.auto.conf.tmp");
    /** Directories whose contents are not copied (the directories themselves are: PostgreSQL needs them). */
    private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    private static final String CONTROL_FILE = "global/pg_control";
    private static final Pattern WAL_SEGMENT = Pattern.compile("[0-9A-F]{24}");
    private static final Pattern START_WAL = Pattern.compile("START WAL LOCATION: \\S+ \\(file ([0-9A-F]{24})\\)");

    private BaseBackup() {}

    /** Copies the running embedded PostgreSQL {@code pg} into {@code sink}. */
    public static Taken take(EmbeddedPostgres pg, String label, Sink sink) throws IOException, SQLException {
        requireNonNull(sink, "sink is null");
        Path pgData = pg.dataDirectory();
        String slot = "srg_backup_" + HexFormat.of().formatHex(random(6));
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password())) {
            // WAL from here on stays until this session ends (a temporary slot), however long the copy takes
            one(c, "SELECT lsn::text FROM pg_create_physical_replication_slot(?, true, true)", slot);
            String start = one(c, "SELECT pg_backup_start(?, true)::text", label);
            long[] files = {0};
            Files.walkFileTree(pgData, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    String name = name(pgData, dir);
                    if (!name.isEmpty()) {
                        if (dir.getFileName().toString().startsWith("pgsql_tmp")) {
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        sink.directory(name);
                    }
                    if (EMPTIED_DIRECTORIES.contains(name)) {
                        // pg_wal's own subdirectories (archive_status, summaries) must exist too
                        if (name.equals("pg_wal")) {
                            try (var sub = Files.list(dir)) {
                                for (Path p : (Iterable<Path>) sub::iterator) {
                                    if (Files.isDirectory(p)) {
                                        sink.directory(name(pgData, p));
                                    }
                                }
                            }
                        }
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String name = name(pgData, file);
                    String base = file.getFileName().toString();
                    if (!attrs.isRegularFile() || name.equals(CONTROL_FILE) || SKIPPED_FILES.contains(base)
                            || base.startsWith("pgsql_tmp")) {
                        return FileVisitResult.CONTINUE;
                    }
                    try (InputStream in = Files.newInputStream(file)) {
                        sink.file(name, attrs.size(), in);
                        files[0]++;
                    } catch (NoSuchFileException e) {
                        // dropped while the backup ran: the WAL says so
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // dropped meanwhile
                    }
                    throw e;
                }
            });
            // pg_control last, as pg_basebackup sends it; read until two reads agree (PostgreSQL rewrites it in place)
            byte[] control = stableRead(pgData.resolve(CONTROL_FILE));
            sink.file(CONTROL_FILE, control.length, new ByteArrayInputStream(control));
            files[0]++;
            String stop;
            String labelFile;
            String mapFile;
            try (PreparedStatement s = c.prepareStatement("SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)");
                 ResultSet rs = s.executeQuery()) {
                rs.next();
                stop = rs.getString(1);
                labelFile = rs.getString(2);
                mapFile = rs.getString(3);
            }
            byte[] label8 = labelFile.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            sink.file("backup_label", label8.length, new ByteArrayInputStream(label8));
            if (mapFile != null && !mapFile.isEmpty()) {
                byte[] map8 = mapFile.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                sink.file("tablespace_map", map8.length, new ByteArrayInputStream(map8));
            }
            Matcher first = START_WAL.matcher(labelFile);
            if (!first.find()) {
                throw new IOException("pg_backup_stop's label names no start segment: " + labelFile);
            }
            String last = one(c, "SELECT pg_walfile_name(?::pg_lsn)", stop);
            int segments = copyWal(pgData.resolve("pg_wal"), first.group(1), last, sink);
            one(c, "SELECT pg_drop_replication_slot(?)::text", slot);
            return new Taken(start, stop, segments, files[0]);
        }
    }

    /** The segments from {@code first} to {@code last} (same timeline), and the timelines' history files. */
    private static int copyWal(Path walDir, String first, String last, Sink sink) throws IOException {
        List<Path> wanted = new ArrayList<>();
        try (var list = Files.list(walDir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                String n = p.getFileName().toString();
                boolean segment = WAL_SEGMENT.matcher(n).matches() && n.substring(0, 8).equals(first.substring(0, 8))
                        && n.compareTo(first) >= 0 && n.compareTo(last) <= 0;
                if (segment || n.endsWith(".history")) {
                    wanted.add(p);
                }
            }
        }
        wanted.sort(null);
        int segments = 0;
        for (Path p : wanted) {
            try (InputStream in = Files.newInputStream(p)) {
                sink.file("pg_wal/" + p.getFileName(), Files.size(p), in);
            }
            segments += p.getFileName().toString().endsWith(".history") ? 0 : 1;
        }
        long expected = Long.parseUnsignedLong(last.substring(8), 16) - Long.parseUnsignedLong(first.substring(8), 16) + 1;
        if (!first.substring(8, 16).equals(last.substring(8, 16))) {
            expected = -1; // across a "log" boundary: counted by name only
        }
        if (expected > 0 && segments != expected) {
            throw new IOException("the WAL from " + first + " to " + last + " is not all there (" + segments + " of "
                    + expected + " segments): the backup would not open");
        }
        return segments;
    }

    private static byte[] stableRead(Path file) throws IOException {
        byte[] previous = Files.readAllBytes(file);
        for (int i = 0; i < 20; i++) {
            byte[] again = Files.readAllBytes(file);
            if (Arrays.equals(previous, again)) {
                return again;
            }
            previous = again;
        }
        throw new IOException(file + " kept changing while it was read");
    }

    private static String one(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String name(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
