package dev.srg.testing;

import dev.srg.store.Database;
import dev.srg.store.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL the tests run on: by default one embedded server for the whole test JVM; with
 * {@code SRG_TEST_DATABASE_URL} (a JDBC URL of an admin database, e.g.
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres}, with {@code SRG_TEST_DATABASE_USER} and
 * {@code SRG_TEST_DATABASE_PASSWORD}) an external server. Each test server gets a fresh database,
 * already migrated ({@link #migrated}).
 */
public final class TestDatabases {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static Admin admin;
    private static String template;

    private TestDatabases() {}

    /**
     * A new temporary directory for a data directory: traversable by others, because the embedded
     * PostgreSQL runs as its own user (it refuses root) and must reach what is inside.
     */
    public static Path dataDirectory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        if (!dir.toFile().setExecutable(true, false)) {
            throw new IOException("cannot open " + dir + " to other users");
        }
        return dir;
    }

    /** How to reach a fresh, empty database. */
    public record Fresh(String url, String user, String password) {}

    private record Admin(String url, String user, String password) {
        String database(String name) {
            return url.substring(0, url.lastIndexOf('/') + 1) + name;
        }
    }

    public static boolean external() {
        return System.getenv("SRG_TEST_DATABASE_URL") != null;
    }

    /** A fresh, empty database (no schema: a sync's source, a server that migrates it itself). */
    public static synchronized Fresh fresh() {
        return create(null);
    }

    /**
     * A fresh database with srg's schema: a copy ({@code CREATE DATABASE ... TEMPLATE}) of one empty
     * database this JVM migrated once with the product's own {@link Database#open} (Flyway, every
     * migration). The server that opens it finds the schema up to date, as at a restart. Migrating
     * an empty database at every test server's start took 1.6-2.0 s at a load of 13 (the copy 0.1-0.2 s);
     * what an empty database's migration proves is proven by the template's, by every
     * {@link #fresh} database a server opens (OneTripTest, LostCommitTest, the cluster and
     * Kubernetes tests, every {@code ServerProcess} on a new data directory) and by SchemaHistoryTest.
     */
    public static synchronized Fresh migrated() {
        if (template == null) {
            Fresh empty = create(null);
            Database.open(empty.url(), empty.user(), empty.password(), 2).close();
            template = empty.url().substring(empty.url().lastIndexOf('/') + 1);
        }
        return create(template);
    }

    private static Fresh create(String templateName) {
        Admin a = admin();
        String name = "srgtest_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        for (int attempt = 1; ; attempt++) {
            try (var c = DriverManager.getConnection(a.url(), a.user(), a.password()); var s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name);
                s.execute("CREATE DATABASE " + name + (templateName == null ? "" : " TEMPLATE " + templateName));
                return new Fresh(a.database(name), a.user(), a.password());
            } catch (SQLException e) {
                // a template's last session may still be ending after its client closed (PostgreSQL
                // itself waits 5 s for it): "source database ... is being accessed by other users"
                if (templateName == null || !"55006".equals(e.getSQLState()) || attempt == 5) {
                    throw new IllegalStateException("cannot create test database " + name + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** Drops a database {@link #fresh} made, ending its sessions (a test that made a large one, when done with it). */
    public static synchronized void drop(Fresh fresh) {
        Admin a = admin();
        String name = fresh.url().substring(fresh.url().lastIndexOf('/') + 1);
        try (var c = DriverManager.getConnection(a.url(), a.user(), a.password()); var s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("cannot drop test database " + name + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot remove the test PostgreSQL's directory " + root + ": " + e.getMessage());
        }
    }

    private static Admin admin() {
        if (admin != null) {
            return admin;
        }
        String url = System.getenv("SRG_TEST_DATABASE_URL");
        if (url != null) {
            admin = new Admin(url, System.getenv("SRG_TEST_DATABASE_USER"), System.getenv("SRG_TEST_DATABASE_PASSWORD"));
            return admin;
        }
        try {
            Path dir = dataDirectory("srg-test-pg");
            EmbeddedPostgres pg = EmbeddedPostgres.start(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                pg.close();
                deleteTree(dir); // a gigabyte or two once every test class has had its database
            }, "srg-test-pg-stop"));
            admin = new Admin(pg.jdbcUrl("postgres"), pg.user(), pg.password());
            return admin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
