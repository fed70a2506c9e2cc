package dev.srg.testing;

import dev.srg.server.ServerConfig;
import dev.srg.server.ServerExtensions;
import dev.srg.server.SrgServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** A real srg server on a random port, on a fresh database (srg's schema in it: {@link TestDatabases#migrated}), for one test class. */
public final class TestServer implements AutoCloseable {
    private SrgServer server;
    private final ServerExtensions extensions;
    private final Path dataDir;
    private final String adminToken;
    private final TestDatabases.Fresh db;

    private TestServer(SrgServer server, ServerExtensions extensions, Path dataDir, TestDatabases.Fresh db) throws IOException {
        this.server = server;
        this.extensions = extensions;
        this.dataDir = dataDir;
        this.db = db;
        this.adminToken = Files.readString(dataDir.resolve("admin.token")).strip();
    }

    public static TestServer start() {
        return start(UnaryOperator.identity());
    }

    public static TestServer start(UnaryOperator<ServerConfig> customize) {
        return start(ServerExtensions.NONE, customize);
    }

    /** A server with test kinds or test backends, through the one composition root. */
    public static TestServer start(ServerExtensions extensions, UnaryOperator<ServerConfig> customize) {
        try {
            Path dataDir = TestDatabases.dataDirectory("srg-test");
            TestDatabases.Fresh db = TestDatabases.migrated();
            ServerConfig config = customize.apply(ServerConfig.forDatabase(dataDir, db.url(), db.user(), db.password()));
            return new TestServer(SrgServer.start(config, extensions), extensions, dataDir, db);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A server on a database the test provides (one it can stop and start, say). */
    public static TestServer onDatabase(String url, String user, String password) {
        try {
            Path dataDir = TestDatabases.dataDirectory("srg-test");
            TestDatabases.Fresh db = new TestDatabases.Fresh(url, user, password);
            return new TestServer(SrgServer.start(ServerConfig.forDatabase(dataDir, url, user, password)), ServerExtensions.NONE,
                    dataDir, db);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A second server on this one's database: a cluster of two (this one leads, having started
     * first). The administrator exists already, so its token is this one's.
     */
    public TestServer second() {
        return second(UnaryOperator.identity());
    }

    /** The same with settings of its own (its regions, say); its data and task directories are its own. */
    public TestServer second(UnaryOperator<ServerConfig> customize) {
        try {
            Path dir = TestDatabases.dataDirectory("srg-test");
            Files.writeString(dir.resolve("admin.token"), adminToken + "\n");
            // the servers of a cluster share one data-source key (a server with a key of its own does not start)
            Files.copy(dataDir.resolve("datasource.key"), dir.resolve("datasource.key"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            return new TestServer(SrgServer.start(customize.apply(ServerConfig.forDatabase(dir, db.url(), db.user(), db.password())),
                    extensions), extensions, dir, db);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Moves the simulated clock (start with {@code cfg -> cfg with simulatedClock}) and runs every background job. */
    public java.time.Instant advanceClock(java.time.Duration by) {
        return server.advanceClock(by);
    }

    /** Runs every background job once, now. */
    public void runBackgroundJobs() {
        server.runBackgroundJobs();
    }

    /** Stops the server and starts it again on the same data directory, database and port (a restart). */
    public void restart() {
        restart(() -> { });
    }

    /** ... with {@code whileDown} run between the stop and the start (what happens to the machine meanwhile). */
    public void restart(Runnable whileDown) {
        ServerConfig config = server.config().withPort(server.port());
        server.close();
        whileDown.run();
        try {
            server = SrgServer.start(config, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Every route the server's HTTP app serves, {@code METHOD /path/{param}}. */
    public java.util.List<String> routes() {
        return server.routes();
    }

    /** The database this server runs on (a second server on it joins its cluster). */
    public TestDatabases.Fresh database() {
        return db;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * The contents of every table but the audit log (which records refusals too), to prove that a
     * refused request changed nothing.
     */
    public java.util.Map<String, String> snapshot() {
        var result = new java.util.TreeMap<String, String>();
        try (var c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password()); var s = c.createStatement()) {
            var tables = new java.util.ArrayList<String>();
            try (var rs = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    // the cluster's lease and heartbeats are renewed every few seconds, whatever the requests
                    + " AND tablename NOT IN ('audit_events', 'flyway_schema_history', 'cluster_lease', 'cluster_servers')")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (var rs = s.executeQuery("SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM " + t + " x")) {
                    rs.next();
                    result.put(t, rs.getString(1));
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return result;
    }

    /** Runs one SQL statement with positional parameters on the server's database (to plant rows later features would write). */
    public int sql(String statement, Object... params) {
        try (var c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
             var s = c.prepareStatement(statement)) {
            for (int i = 0; i < params.length; i++) {
                Object p = params[i] instanceof java.time.Instant t ? java.sql.Timestamp.from(t) : params[i];
                s.setObject(i + 1, p);
            }
            return s.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The one number a SQL query answers. */
    public long sqlLong(String query) {
        try (var c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
             var s = c.createStatement(); var rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public String adminToken() {
        return adminToken;
    }

    /** An HTTP client acting as the bootstrap administrator. */
    public TestHttp admin() {
        return new TestHttp(url(), adminToken);
    }

    public TestHttp as(String token) {
        return new TestHttp(url(), token);
    }

    public TestHttp anonymous() {
        return new TestHttp(url(), null);
    }

    @Override
    public void close() {
        OpenApiContract.forget(url());
        server.close();
    }
}
