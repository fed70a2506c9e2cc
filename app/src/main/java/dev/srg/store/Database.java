package dev.srg.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.slf4j.LoggerFactory;

/**
 * The store: a pooled PostgreSQL (embedded or external, one dialect), migrated by Flyway at open,
 * used through Jdbi with explicit SQL. The store is the truth; memory state is rebuilt from it.
 *
 * <p>The database may go away while srg runs (a crashed or restarted server, a network cut). A
 * probe on its own connection looks every {@link #CHECK_EVERY}, and at once when a use of the pool
 * failed to reach it or the embedded PostgreSQL's supervisor saw it die ({@link #suspect()}): a call
 * that meets the loss answers 503 and the probe confirms it within milliseconds; with no calls,
 * readiness follows within {@link #CHECK_EVERY} (it was every 250 ms, four statements a second on an
 * idle server: issue 17). While the database is away every
 * new use of the pool fails at once with {@link UnavailableException} (so callers answer 503 in
 * milliseconds instead of waiting out a pool timeout), and the probe reconnects with backoff
 * (up to {@link #MAX_BACKOFF}). Connections made before the loss are evicted, so the pool only
 * hands out fresh ones once the database is back.
 */
public final class Database implements AutoCloseable {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(Database.class);
    /** How often the probe looks while the database answers. */
    static final Duration CHECK_EVERY = Duration.ofSeconds(2);
    /** The first reconnection's delay once the database is lost (then doubled up to {@link #MAX_BACKOFF}). */
    static final Duration PROBE_EVERY = Duration.ofMillis(250);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /** How long a caller may wait for a pooled connection while the database is up (a busy pool). */
    private static final Duration BUSY_WAIT = Duration.ofSeconds(15);

    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final String url;
    private final Properties probeProperties;
    private final ScheduledExecutorService prober =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-db-probe").daemon().factory());
    private volatile boolean up = true;
    private volatile long downSinceNanos;
    // touched only on the prober's thread
    private Connection probe;
    private long backoffMillis;
    private long nextAttemptNanos;
    private ScheduledFuture<?> nextTick;

    /** The newest migration this server knows, said on every connection it writes through (srg.schema, V42_2). */
    private final String schema;

    private Database(HikariDataSource pool, String url, Properties probeProperties, String schema) {
        this.pool = pool;
        this.url = url;
        this.probeProperties = probeProperties;
        this.schema = schema;
        this.jdbi = Jdbi.create(new Guarded()).installPlugin(new SqlObjectPlugin());
    }

    public static Database open(String jdbcUrl, String user, String password, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        Properties probeProperties = new Properties();
        if (user != null) {
            config.setUsername(user);
            probeProperties.setProperty("user", user);
        }
        if (password != null) {
            config.setPassword(password);
            probeProperties.setProperty("password", password);
        }
        // pgjdbc: give up on a connect or a silent socket instead of hanging the probe
        probeProperties.setProperty("connectTimeout", "5");
        probeProperties.setProperty("socketTimeout", "10");
        probeProperties.setProperty("ApplicationName", "srg-probe");
        // batches (usage points after a clock jump, bill lines) go as multi-row INSERTs: several times fewer round trips
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        // V42_2: a connection that does not say which schema its server knows, named as a server's
        // ('srg/...'), is refused by the database: that is a server from before upgrades were checked
        String schema = SchemaHistory.newestInJar().orElseGet(() -> newestOfFlyway(jdbcUrl, user, password));
        config.setConnectionInitSql(schemaStatement(schema));
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("srg-db");
        // short: the guard below retries while the database is up, and stops the moment it is not
        config.setConnectionTimeout(500);
        config.setInitializationFailTimeout(20_000);
        HikariDataSource ds = new HikariDataSource(config);
        try {
            migrate(ds, jdbcUrl, user, password, schema);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        Database db = new Database(ds, jdbcUrl, probeProperties, schema);
        db.prober.execute(db::tick);
        return db;
    }

    /** pg_current_xact_id and pg_xact_status: a start whose COMMIT's answer was lost is asked about. */
    static final int MIN_POSTGRES_MAJOR = 13;

    private static void migrate(DataSource ds, String jdbcUrl, String user, String password, String schema) {
        long started = System.nanoTime();
        requireVersion(ds);
        refuseNewerSchema(ds, schema);
        if (SchemaHistory.upToDate(ds)) {
            LOG.info("schema up to date (every migration of this jar applied, checksums equal; checked in {} ms)",
                    (System.nanoTime() - started) / 1_000_000);
            return;
        }
        // Flyway opens its connections itself, not from the pool: it holds one and asks for another,
        // and the pool's 500 ms wait for a new connection was too short on a loaded machine (a test
        // server's first start failed: "Connection is not available, request timed out after 502ms")
        Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .locations("classpath:db/migration")
                .loggers("slf4j")
                .load()
                .migrate();
    }

    /**
     * Refuses, before anything is written, a database that a newer srg has migrated (Flyway alone
     * only warns about "a version newer than the latest available migration" and lets the older
     * server run on a schema it does not know; docs/upgrading.md).
     */
    static void refuseNewerSchema(DataSource ds, String schema) {
        Optional<String> newer;
        try {
            newer = SchemaHistory.newerThan(ds, schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the database's schema history: " + e.getMessage(), e);
        }
        newer.ifPresent(version -> {
            throw new IllegalStateException("the database's schema is at version " + version + ", newer than this srg's ("
                    + schema + "): a newer srg upgraded it, and this one would not know its tables. Nothing was changed. "
                    + "Start the newer srg, or restore the database from the backup taken before the upgrade "
                    + "(docs/upgrading.md)");
        });
    }

    static String schemaStatement(String schema) {
        if (!schema.matches("[0-9]+(\\.[0-9]+)*")) {
            throw new IllegalArgumentException("not a migration version: " + schema);
        }
        return "SELECT set_config('srg.schema', '" + schema + "', false)";
    }

    /** The newest migration Flyway finds on the class path, when the jar's migrations cannot be listed here. */
    private static String newestOfFlyway(String jdbcUrl, String user, String password) {
        return Arrays.stream(Flyway.configure().dataSource(jdbcUrl, user, password)
                        .locations("classpath:" + SchemaHistory.LOCATION).loggers("slf4j").load().info().all())
                .map(m -> m.getVersion() == null ? null : m.getVersion().getVersion())
                .filter(Objects::nonNull)
                .max(SchemaHistory.VERSION_ORDER)
                .orElseThrow(() -> new IllegalStateException("srg's migrations are not on the class path"));
    }

    /** Refuses a server older than srg needs, in one sentence (pgjdbc knows the version from the connection's start). */
    private static void requireVersion(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            var meta = c.getMetaData();
            if (meta.getDatabaseMajorVersion() < MIN_POSTGRES_MAJOR) {
                throw new IllegalStateException("the database is PostgreSQL " + meta.getDatabaseProductVersion()
                        + "; srg needs PostgreSQL " + MIN_POSTGRES_MAJOR + " or later");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the database's version: " + e.getMessage(), e);
        }
    }

    /** The SQLSTATE of a write refused because this server's epoch is not the lease's any more. */
    public static final String FENCED = "SRG01";
    /** PostgreSQL's disk_full. */
    private static final String DISK_FULL = "53100";

    /** The schema this server runs on: its newest migration, which it migrated the database to at open. */
    public String schema() {
        return schema;
    }

    /** The newest migration in this jar (what a server of it would migrate a database to); empty if they cannot be listed. */
    public static Optional<String> newestMigration() {
        return SchemaHistory.newestInJar();
    }

    /** Orders migration versions ({@code 9.2 < 44.1 < 44.10}). */
    public static int compareVersions(String a, String b) {
        return SchemaHistory.VERSION_ORDER.compare(a, b);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * A connection of its own, outside the pool (the cluster's lease and its LISTEN must not wait
     * for a pooled connection, nor hold one); it gives up on a silent socket like the probe.
     */
    public Connection openDedicated(String applicationName) throws SQLException {
        Properties p = new Properties();
        p.putAll(probeProperties);
        p.setProperty("ApplicationName", applicationName);
        Connection c = DriverManager.getConnection(url, p);
        try (Statement s = c.createStatement()) {
            s.execute(schemaStatement(schema));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Whether the database answered its last probe (readiness). */
    public boolean available() {
        return up;
    }

    /** Something failed to reach the database: probe now rather than at the next tick. */
    public void suspect() {
        try {
            prober.execute(this::tick);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * Whether {@code failure} comes from the database having no disk space left (SQLSTATE 53100, what
     * PostgreSQL answers when a table, an index or its WAL cannot grow): the statement changed nothing,
     * and the same request succeeds once space is freed.
     */
    public static boolean isDiskFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && DISK_FULL.equals(s.getSQLState())) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * Whether {@code failure} (or one of its causes) says the database could not be reached, as
     * opposed to a refusal of the statement: those are worth a 503 and a retry, not a 500.
     */
    public static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnavailableException || t instanceof SQLTransientConnectionException
                    || t instanceof SQLNonTransientConnectionException || t instanceof java.net.ConnectException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                // 08: connection exception; 57P01..57P03: the server shuts down or cannot take connections yet;
                // 53300: too many connections
                // SRG01: fenced, this server lost the cluster's lease (another server answers; V25_1)
                if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300") || state.equals(FENCED)) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** One look (on the prober's thread), then the next one: in {@link #CHECK_EVERY} while up, at the backoff's time while down. */
    private void tick() {
        look();
        if (nextTick != null) {
            nextTick.cancel(false);
        }
        long delay = up ? CHECK_EVERY.toMillis() : Math.max(0, TimeUnit.NANOSECONDS.toMillis(nextAttemptNanos - System.nanoTime()));
        try {
            nextTick = prober.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void look() {
        try {
            if (up) {
                if (!probeOk()) {
                    lost();
                }
            } else if (System.nanoTime() - nextAttemptNanos >= 0) {
                if (probeOk()) {
                    back();
                } else {
                    backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
                    nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("database probe failed unexpectedly: {}", e.toString());
        }
    }

    /** The probe's connection answers; a broken one is replaced once before the database counts as lost. */
    private boolean probeOk() {
        if (probe != null && valid(probe)) {
            return true;
        }
        closeProbe();
        try {
            probe = DriverManager.getConnection(url, probeProperties);
            return valid(probe);
        } catch (SQLException e) {
            LOG.debug("database probe: {}", e.getMessage());
            return false;
        }
    }

    private static boolean valid(Connection c) {
        try {
            return c.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    private void lost() {
        up = false;
        downSinceNanos = System.nanoTime();
        backoffMillis = PROBE_EVERY.toMillis();
        nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
        LOG.warn("the database is unreachable; API calls answer 503 until it is back (reconnecting with backoff)");
        evictPooled();
    }

    private void back() {
        // connections made while it was away (or before) may be broken: start the pool afresh
        evictPooled();
        up = true;
        LOG.info("the database is back after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSinceNanos));
    }

    private void evictPooled() {
        var bean = pool.getHikariPoolMXBean();
        if (bean != null) {
            bean.softEvictConnections();
        }
    }

    private void closeProbe() {
        if (probe != null) {
            try {
                probe.close();
            } catch (SQLException e) {
                // it is broken anyway
            }
            probe = null;
        }
    }

    @Override
    public void close() {
        prober.shutdownNow();
        try {
            prober.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeProbe();
        pool.close();
    }

    /** The database is known to be away: nothing was tried, nothing was done. */
    public static final class UnavailableException extends SQLTransientConnectionException {
        private static final long serialVersionUID = 1L;

        UnavailableException() {
            super("the database is unavailable", "08001");
        }
    }

    /**
     * The pool as Jdbi sees it: fails at once while the database is away; while it is up, waits
     * for a busy pool as long as {@link #BUSY_WAIT}, in short steps so that a loss during the
     * wait ends it too.
     */
    private final class Guarded implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            long deadline = System.nanoTime() + BUSY_WAIT.toNanos();
            while (true) {
                if (!up) {
                    throw new UnavailableException();
                }
                try {
                    return pool.getConnection();
                } catch (SQLTransientConnectionException e) {
                    if (System.nanoTime() - deadline >= 0) {
                        throw e;
                    }
                    if (e.getCause() != null) {
                        // could not connect (not merely busy): let the probe decide now
                        suspect();
                    }
                }
            }
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("the pool has one user");
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            requireNonNull(iface, "iface is null");
            if (iface.isInstance(this)) {
                return iface.cast(this);
            }
            return pool.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return iface.isInstance(this) || pool.isWrapperFor(iface);
        }
    }
}
