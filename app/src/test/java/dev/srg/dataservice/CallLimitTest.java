package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The adaptive limit on the calls a worker runs at once (issue 14): against a database whose answer
 * time does not grow with the calls in flight (slow, remote: modelled by a sleep) it lets as many
 * through as the worker has connections; against one that queues them (CPU-bound: two "cores", a
 * fair semaphore each call holds for a millisecond) it lets few through, at the same rate; calls
 * over it wait in order, until their own deadline, in a bounded queue.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CallLimitTest {
    /**
     * What callers saw: answers, the most calls in flight at once in the last second, and how long a
     * call to the database took on average (a sleep of 40 ms takes longer on a loaded machine).
     */
    record Load(long answers, int peakLastSecond, double perSecond, double callMillis) {}

    /**
     * {@code callers} threads calling through {@code limit} for {@code millis}, each call taking
     * {@code call} (a database) on statement {@code sql}.
     */
    private static Load drive(CallLimit limit, int callers, long millis, String sql, Call call) throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicLong answers = new AtomicLong();
        AtomicLong inCalls = new AtomicLong();
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
        long lastSecond = end - TimeUnit.SECONDS.toNanos(1);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        if (!limit.acquire(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))) {
                            throw new AssertionError("waited 10 s for a turn");
                        }
                        int now = inFlight.incrementAndGet();
                        if (System.nanoTime() - lastSecond > 0) {
                            peak.accumulateAndGet(now, Math::max);
                        }
                        long sent = System.nanoTime();
                        call.run();
                        long answered = System.nanoTime();
                        inCalls.addAndGet(answered - sent);
                        inFlight.decrementAndGet();
                        answers.incrementAndGet();
                        limit.release(sql, sent, answered);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Load(answers.get(), peak.get(), answers.get() / seconds, inCalls.get() / 1e6 / Math.max(1, answers.get()));
    }

    interface Call {
        void run() throws Exception;
    }

    /** A database that answers in 40 ms however many calls it has (a remote one: the time is the network's, or pg_sleep's). */
    private static final Call SLOW = () -> Thread.sleep(40);

    /** A database with two cores: each call needs one for a millisecond; calls beyond two wait for one. */
    private static Call cpuBound(Semaphore cores) {
        return () -> {
            cores.acquire();
            try {
                Thread.sleep(1);
            } finally {
                cores.release();
            }
        };
    }

    @Test
    @DisplayName("a slow database keeps every connection busy: the limit stays at the pool's size and the rate at what 16 at once give")
    void aSlowDatabaseRunsManyCallsAtOnce() throws Exception {
        CallLimit limit = new CallLimit(2, 16, 1024);
        Load load = drive(limit, 32, 3000, "SELECT pg_sleep(0.04)", SLOW);
        assertThat(limit.limit()).isEqualTo(16);
        assertThat(load.peakLastSecond()).isEqualTo(16);
        // 16 at once, 40 ms each: 400 calls/s; with 2 at once it would be 50. Measured against the calls' own
        // time: a loaded machine sleeps longer than 40 ms (265 calls/s seen against a fixed 300 at a load of 12)
        assertThat(load.perSecond()).as("calls/s, each call %.1f ms", load.callMillis())
                .isGreaterThan(0.75 * 16 * 1000 / load.callMillis());
    }

    @Test
    @DisplayName("a CPU-bound database runs few calls at once, at the same rate; a slow statement after it gets the pool back")
    void aCpuBoundDatabaseRunsFewCallsAtOnceAndASlowOneAfterItMany() throws Exception {
        Semaphore cores = new Semaphore(2, true);
        CallLimit unlimited = new CallLimit(16, 16, 1024);
        CallLimit limit = new CallLimit(2, 16, 1024);
        // the limit learns the database first
        drive(limit, 32, 1500, "SELECT 1", cpuBound(cores));
        // then the rates without and with it, in alternating windows: this "database" is timed by this machine's
        // sleeps, so a change in the machine's load between two long phases moved the ratio (0.794 seen at a load
        // average of 19 with a 2 s phase, then a 3 s one); alternating, a change falls on both
        long allAnswers = 0;
        double allSeconds = 0;
        long fewAnswers = 0;
        double fewSeconds = 0;
        int peak = 0;
        for (int round = 0; round < 4; round++) {
            Load all = drive(unlimited, 32, 500, "SELECT 1", cpuBound(cores));
            allAnswers += all.answers();
            allSeconds += all.answers() / all.perSecond();
            Load few = drive(limit, 32, 1000, "SELECT 1", cpuBound(cores));
            fewAnswers += few.answers();
            fewSeconds += few.answers() / few.perSecond();
            peak = Math.max(peak, few.peakLastSecond());
        }
        double allPerSecond = allAnswers / allSeconds;
        double fewPerSecond = fewAnswers / fewSeconds;
        // the answer time at 16 in flight is about 8 times that at 2: Vegas counts 14 queued and brings the limit down
        // to where 4 to 8 are (6 to 10 calls: the calls over it wait in order in the limit's queue instead)
        assertThat(limit.limit()).isBetween(3, 12);
        assertThat(peak).isLessThanOrEqualTo(13);
        assertThat(fewPerSecond).as("calls/s with the limit, against %.0f without", allPerSecond)
                .isGreaterThan(0.8 * allPerSecond);

        // the same pool then serves a statement that waits on a remote database: its own minimum, so no sign of a
        // queue, and the limit grows back to every connection
        Load slow = drive(limit, 32, 3000, "SELECT pg_sleep(0.04)", SLOW);
        assertThat(limit.limit()).isEqualTo(16);
        assertThat(slow.peakLastSecond()).isEqualTo(16);
    }

    @Test
    @DisplayName("over the limit, calls wait in order of arrival, each until its own deadline; a full queue refuses at once")
    void callsOverTheLimitWaitInOrderUntilTheirDeadline() throws Exception {
        CallLimit limit = new CallLimit(1, 1, 3);
        assertThat(limit.acquire(System.nanoTime())).isTrue();
        List<Integer> order = new CopyOnWriteArrayList<>();
        CountDownLatch queued = new CountDownLatch(3);
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            waiters.add(Thread.ofVirtual().start(() -> {
                try {
                    queued.countDown();
                    if (limit.acquire(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))) {
                        order.add(n);
                        limit.release();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
            // one at a time, so that the order of arrival is known
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (limit.waiting() < i + 1 && System.nanoTime() < until) {
                Thread.sleep(1);
            }
        }
        queued.await();
        // the queue holds 3: a fourth is refused at once
        assertThatThrownBy(() -> limit.acquire(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))).isInstanceOf(CallLimit.Full.class);
        limit.release();
        for (Thread t : waiters) {
            t.join(5000);
        }
        assertThat(order).containsExactly(0, 1, 2);

        // a call whose deadline passes while it waits is given up then (and leaves the queue)
        assertThat(limit.acquire(System.nanoTime())).isTrue();
        long t0 = System.nanoTime();
        assertThat(limit.acquire(t0 + TimeUnit.MILLISECONDS.toNanos(150))).isFalse();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(waited).isBetween(140L, 2000L);
        limit.release();
        assertThat(limit.acquire(System.nanoTime())).as("nothing left queued holds the turn").isTrue();
        limit.release();
    }
}
