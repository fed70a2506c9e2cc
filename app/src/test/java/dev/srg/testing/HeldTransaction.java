package dev.srg.testing;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A transaction the test holds open on a server's database, to force the interleaving of two
 * conflicting requests instead of hoping to hit its window (docs/testing.md, "Writing tests that
 * hold on a loaded machine"): the test writes in it what a concurrent request would have written
 * and not yet committed, sends the request (on another thread, {@link #send}), waits until that
 * request waits on one of the held locks ({@link #awaitAWaiter}: a backend of the database waiting
 * on a lock), then commits or rolls back and reads the request's answer.
 */
public final class HeldTransaction implements AutoCloseable {
    private final TestDatabases.Fresh db;
    private final Connection c;

    public HeldTransaction(TestDatabases.Fresh db) {
        this.db = db;
        try {
            c = DriverManager.getConnection(db.url(), db.user(), db.password());
            c.setAutoCommit(false);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one statement inside the held transaction. */
    public int sql(String statement, Object... params) {
        try (var s = c.prepareStatement(statement)) {
            for (int i = 0; i < params.length; i++) {
                Object p = params[i] instanceof java.time.Instant t ? java.sql.Timestamp.from(t) : params[i];
                s.setObject(i + 1, p);
            }
            return s.execute() ? 0 : s.getUpdateCount();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends a request on its own thread. */
    public static <T> CompletableFuture<T> send(Supplier<T> request) {
        return CompletableFuture.supplyAsync(request, runnable -> Thread.ofPlatform().daemon().start(runnable));
    }

    /**
     * Waits until another backend of the database waits on a lock (the request met a held row), or
     * the request answered without waiting (the test's assertions then say what it answered).
     */
    public void awaitAWaiter(CompletableFuture<?> request) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> request.isDone() || waiters() > 0);
    }

    private int waiters() throws SQLException {
        try (var other = DriverManager.getConnection(db.url(), db.user(), db.password());
             var s = other.prepareStatement("""
                     SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> ?""")) {
            s.setInt(1, pid());
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private int pid() throws SQLException {
        try (var s = c.createStatement(); var rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    public void commit() {
        try {
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            c.rollback();
            c.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
