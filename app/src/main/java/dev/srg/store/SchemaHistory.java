package dev.srg.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.sql.DataSource;

/**
 * Whether the database's schema is exactly what this jar's migrations make, with one query
 * (issue 17: a restart must admit again within seconds; Flyway's own start — its plugins, the
 * scan, the validation — took 8 s of a restart at load 12). The jar's migrations are read from
 * the jar (or the classes directory) and checksummed as Flyway does (CRC32 of the lines, without
 * their line breaks, a byte-order mark dropped); the schema history must hold every one of them,
 * applied successfully with the same checksum, and nothing else. Anything else — a new
 * migration, an edited one, a failed one, a database newer than the jar, a history this
 * reading does not understand — answers false, and Flyway runs as before: it migrates, or
 * refuses to start on a mismatch.
 */
final class SchemaHistory {
    static final String LOCATION = "db/migration";
    private static final Pattern VERSIONED = Pattern.compile("V([0-9]+(?:[._][0-9]+)*)__.+\\.sql");

    private SchemaHistory() {}

    /** Whether Flyway has nothing to do here (false when in doubt). */
    static boolean upToDate(DataSource ds) {
        Optional<Map<String, Integer>> jar = migrations();
        if (jar.isEmpty()) {
            return false;
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            if (!exists(s)) {
                return false;
            }
            Map<String, Integer> applied = new HashMap<>();
            try (ResultSet rs = s.executeQuery(
                    "SELECT version, checksum, success, type FROM flyway_schema_history WHERE type <> 'SCHEMA'")) {
                while (rs.next()) {
                    String version = rs.getString(1);
                    int checksum = rs.getInt(2);
                    boolean noChecksum = rs.wasNull();
                    if (version == null || noChecksum || !rs.getBoolean(3) || !"SQL".equals(rs.getString(4))
                            || applied.put(version, checksum) != null) {
                        return false; // a repeatable, failed, baseline or repeated row: Flyway judges
                    }
                }
            }
            return applied.equals(jar.get());
        } catch (SQLException e) {
            return false;
        }
    }

    /** Migration versions in order: 41.4 before 42.2 before 100 (Flyway's order; "9" < "10"). */
    static final Comparator<String> VERSION_ORDER = (a, b) -> {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? Long.parseLong(x[i]) : 0;
            long q = i < y.length ? Long.parseLong(y[i]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    };

    /** The newest of the jar's migrations (what this server says it knows: srg.schema, V42_2); empty when they cannot be listed. */
    static Optional<String> newestInJar() {
        return migrations().flatMap(m -> m.keySet().stream().max(VERSION_ORDER));
    }

    /**
     * The newest migration applied to the database when it is newer than {@code known} (a newer
     * srg upgraded it); empty when it is not, or when there is no history yet.
     */
    static Optional<String> newerThan(DataSource ds, String known) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            if (!exists(s)) {
                return Optional.empty();
            }
            String newest = null;
            try (ResultSet rs = s.executeQuery(
                    "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
                while (rs.next()) {
                    String v = rs.getString(1);
                    if (v.matches("[0-9]+(\\.[0-9]+)*") && (newest == null || VERSION_ORDER.compare(v, newest) > 0)) {
                        newest = v;
                    }
                }
            }
            return newest != null && VERSION_ORDER.compare(newest, known) > 0 ? Optional.of(newest) : Optional.empty();
        }
    }

    private static boolean exists(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** The jar's versioned migrations: version (as Flyway writes it) → checksum; empty when they cannot be listed. */
    static Optional<Map<String, Integer>> migrations() {
        URL url = SchemaHistory.class.getClassLoader().getResource(LOCATION);
        if (url == null) {
            return Optional.empty();
        }
        Map<String, Integer> found = new TreeMap<>();
        try {
            switch (url.getProtocol()) {
                case "jar" -> {
                    String spec = url.getPath(); // file:/path/srg.jar!/db/migration
                    int bang = spec.indexOf("!/");
                    if (bang < 0 || spec.indexOf("!/", bang + 2) >= 0) {
                        return Optional.empty(); // a jar in a jar: not read here
                    }
                    try (JarFile jar = new JarFile(Path.of(new java.net.URI(spec.substring(0, bang))).toFile())) {
                        for (var e : (Iterable<java.util.jar.JarEntry>) jar.stream()::iterator) {
                            String name = e.getName();
                            if (!e.isDirectory() && name.startsWith(LOCATION + "/")
                                    && !add(found, name.substring(LOCATION.length() + 1), jar.getInputStream(e))) {
                                return Optional.empty();
                            }
                        }
                    }
                }
                case "file" -> {
                    Path dir = Path.of(url.toURI());
                    try (Stream<Path> files = Files.walk(dir)) {
                        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                            if (!add(found, dir.relativize(f).toString(), Files.newInputStream(f))) {
                                return Optional.empty();
                            }
                        }
                    }
                }
                default -> {
                    return Optional.empty();
                }
            }
        } catch (IOException | URISyntaxException | UncheckedIOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(found);
    }

    /** Adds a versioned migration; false for anything else in the directory (a repeatable one, a Java one). */
    private static boolean add(Map<String, Integer> found, String name, InputStream in) throws IOException {
        try (in) {
            Matcher m = VERSIONED.matcher(name);
            if (!m.matches()) {
                return false;
            }
            // Flyway shows (and stores) V25_1 as 25.1
            return found.put(m.group(1).replace('_', '.'), checksum(in)) == null;
        }
    }

    /** Flyway's checksum of a SQL migration: CRC32 over its lines' UTF-8 bytes, line breaks left out, a BOM dropped. */
    static int checksum(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        boolean first = true;
        while ((line = reader.readLine()) != null) {
            if (first && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                line = line.substring(1);
            }
            first = false;
            crc.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return (int) crc.getValue();
    }
}
