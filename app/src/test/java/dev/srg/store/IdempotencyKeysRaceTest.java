package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.srg.error.SrgException;
import dev.srg.testing.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two requests with the same client token at the same moment (a script retried by its CI, a
 * double-click). The interleaving is forced, not hoped for: the first request's create waits on a
 * latch inside its open transaction while the second is sent, and the test releases it only once
 * the second either waits on a lock in PostgreSQL or has run a create of its own (the defect this
 * proves fixed: the second looked the token up, found nothing committed, created too, and then met
 * the first's row in a unique index, a 500, or in a check of its own, a 409 "name taken" for a
 * request that should have answered the first's 201).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IdempotencyKeysRaceTest {
    private static TestDatabases.Fresh db;
    private static Jdbi jdbi;
    private ExecutorService pool;

    @BeforeAll
    static void open() {
        db = TestDatabases.migrated();
        jdbi = Jdbi.create(db.url(), db.user(), db.password());
        jdbi.useHandle(h -> h.execute("CREATE TABLE race_things (id text PRIMARY KEY, name text NOT NULL UNIQUE)"));
    }

    @AfterAll
    static void drop() {
        TestDatabases.drop(db);
    }

    @BeforeEach
    void start() {
        pool = Executors.newFixedThreadPool(2);
        jdbi.useHandle(h -> h.execute("TRUNCATE race_things, idempotency_keys"));
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** A create that inserts a row named {@code name}; the first call stops inside its transaction until released. */
    private static Function<Handle, String> create(String name, AtomicInteger calls, CountDownLatch inside,
                                                   CountDownLatch release, boolean firstFails) {
        return h -> {
            int n = calls.incrementAndGet();
            String id = "t-" + n;
            h.execute("INSERT INTO race_things (id, name) VALUES (?, ?)", id, name);
            if (n == 1) {
                inside.countDown();
                try {
                    release.await(2, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (firstFails) {
                    throw SrgException.invalid("name", "InvalidParameter.Test", "refused after its row was written");
                }
            }
            return id;
        };
    }

    private Future<String> send(String request, Function<Handle, String> create) {
        return pool.submit(() -> IdempotencyKeys.createOnce(jdbi, "u-1", "race-thing", "token-1", request, Instant::now, create));
    }

    /** Sends the second request while the first is inside its create, and releases the first once the second is stuck or created. */
    private Future<String> secondWhileFirstIsOpen(String request, Function<Handle, String> create, AtomicInteger calls,
                                                  CountDownLatch inside, CountDownLatch release) throws InterruptedException {
        assertThat(inside.await(2, TimeUnit.MINUTES)).isTrue();
        Future<String> second = send(request, create);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> calls.get() > 1 || second.isDone() || backendsWaitingOnALock() > 0);
        release.countDown();
        return second;
    }

    private static int backendsWaitingOnALock() {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'""")
                .mapTo(Integer.class).one());
    }

    private static int things() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM race_things").mapTo(Integer.class).one());
    }

    @Test
    @DisplayName("RG-10: the same request twice at once with one client token: one create; the second waits for the first and answers its id")
    void theSecondWaitsForTheFirstAndAnswersItsId() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var create = create("same-name", calls, inside, release, false);
        Future<String> first = send("body", create);
        Future<String> second = secondWhileFirstIsOpen("body", create, calls, inside, release);

        assertThat(first.get(2, TimeUnit.MINUTES)).isEqualTo("t-1");
        assertThat(second.get(2, TimeUnit.MINUTES)).isEqualTo("t-1");
        assertThat(calls).as("creates run").hasValue(1);
        assertThat(things()).isEqualTo(1);
    }

    @Test
    @DisplayName("the same client token with another body at once: the second answers 409 IdempotentParameterMismatch once the first committed")
    void anotherBodyIsAMismatch() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var create = create("same-name", calls, inside, release, false);
        Future<String> first = send("body", create);
        Future<String> second = secondWhileFirstIsOpen("another body", create, calls, inside, release);

        assertThat(first.get(2, TimeUnit.MINUTES)).isEqualTo("t-1");
        ExecutionException failed = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
                () -> second.get(2, TimeUnit.MINUTES));
        assertThat(failed).isNotNull();
        assertThat(failed.getCause()).isInstanceOf(SrgException.class);
        assertThat(((SrgException) failed.getCause()).code()).isEqualTo("IdempotentParameterMismatch");
        assertThat(calls).hasValue(1);
        assertThat(things()).isEqualTo(1);
    }

    @Test
    @DisplayName("when the first request with a token is refused (rolled back), the one waiting behind it creates")
    void afterARefusedFirstTheSecondCreates() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var create = create("same-name", calls, inside, release, true);
        Future<String> first = send("body", create);
        Future<String> second = secondWhileFirstIsOpen("body", create, calls, inside, release);

        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> first.get(2, TimeUnit.MINUTES)))
                .hasCauseInstanceOf(SrgException.class);
        assertThat(second.get(2, TimeUnit.MINUTES)).isEqualTo("t-2");
        assertThat(things()).isEqualTo(1);
        String recorded = jdbi.withHandle(h -> h.createQuery("SELECT resource_id FROM idempotency_keys").mapTo(String.class).one());
        assertThat(recorded).isEqualTo("t-2");
    }
}
