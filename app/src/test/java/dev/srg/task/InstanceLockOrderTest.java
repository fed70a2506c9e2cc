package dev.srg.task;

import static dev.srg.task.InstanceApiTest.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two statements that change several instances in one transaction take their rows in the same
 * order (issue 17's load runs logged "deadlock detected" for a batch of exits): a trivial task can
 * end before its batch is marked RUNNING, so a batch of outcomes and a batch marked RUNNING may want
 * the same rows at once.
 */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InstanceLockOrderTest {
    private static TestServer server;
    private static Jdbi jdbi;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        var db = server.database();
        jdbi = Jdbi.create(db.url(), db.user(), db.password());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    @DisplayName("a batch of outcomes and a batch marked RUNNING that want the same instances both commit: neither is aborted as a deadlock")
    void outcomesAndMarkRunningTakeTheRowsInOneOrder() throws Exception {
        Fixtures fx = new Fixtures(server);
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        String done = server.admin().post("instances", task(ws, "true", 0.5)).id();
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> server.admin().get("instances/" + done).json().get("status").asString().equals("SUCCEEDED"));
        // two instances admitted and launched, not yet marked RUNNING (copies of a finished one, so that
        // no task of this server's is behind them), the smaller id first
        String first = done + "-lock-a";
        String second = done + "-lock-b";
        for (String id : List.of(first, second)) {
            server.sql("""
                    INSERT INTO instances SELECT (jsonb_populate_record(NULL::instances, to_jsonb(i)
                        || jsonb_build_object('id', CAST(? AS text), 'status', 'STARTING', 'finished_at', NULL,
                            'sequence', nextval(pg_get_serial_sequence('instances', 'sequence'))))).*
                    FROM instances i WHERE id = ?""", id, done);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection holder = DriverManager.getConnection(server.database().url(), server.database().user(),
                server.database().password())) {
            // something else holds the first row, so that both batches queue for it in a known order
            holder.setAutoCommit(false);
            try (var s = holder.prepareStatement("SELECT 1 FROM instances WHERE id = ? FOR UPDATE")) {
                s.setString(1, first);
                s.executeQuery().close();
            }
            Future<?> running = pool.submit(() -> jdbi.useTransaction(
                    h -> new InstanceDao(h, Clock.systemUTC()).markRunning(List.of(first, second))));
            awaitWaiting(1);
            // the exits came in the other order: the second's first
            Instant now = Instant.now();
            ExitStatus ok = new ExitStatus(0, FailureReason.NONE, now.minusSeconds(1), now, 0.01, null, true, "");
            Future<List<Boolean>> finished = pool.submit(() -> jdbi.inTransaction(h -> new InstanceDao(h, Clock.systemUTC())
                    .finishAll(List.of(new InstanceDao.Finish(second, InstanceStatus.SUCCEEDED, ok, ok.startedAt(), now),
                            new InstanceDao.Finish(first, InstanceStatus.SUCCEEDED, ok, ok.startedAt(), now)))));
            awaitWaiting(2);
            holder.commit();
            // with the rows taken in different orders, PostgreSQL aborts one of the two after its
            // deadlock_timeout (1 s): the get throws
            running.get(30, TimeUnit.SECONDS);
            assertThat(finished.get(30, TimeUnit.SECONDS)).containsExactly(true, true);
        } finally {
            pool.shutdownNow();
        }
        for (String id : List.of(first, second)) {
            assertThat(server.sqlLong("SELECT count(*) FROM instances WHERE id = '" + id + "' AND status = 'SUCCEEDED'"))
                    .isEqualTo(1);
        }
    }

    /** Until this many of the database's sessions wait for a row lock. */
    private static void awaitWaiting(int sessions) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> server.sqlLong(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
                == sessions);
    }
}
