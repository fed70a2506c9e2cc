package dev.srg.dataservice;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many calls one worker runs at once: an adaptive limit on the hand-off to its connections,
 * in the spirit of TCP Vegas. The limit follows the answer time against its minimum: while the
 * worker answers about as fast as it does with {@link #min} calls in flight, calls are not
 * queueing behind each other there, and the limit grows (up to the worker's connections); when the
 * answer time grows with the limit, the extra calls only wait for a CPU in the worker or the
 * database, and the limit shrinks. A fast local database (CPU-bound: every call more in flight
 * only waits) so runs few calls at once, a slow or remote one (its answer time does not grow with
 * the calls in flight) as many as the worker has connections. Calls over the limit wait here, in
 * order (a FIFO; the kernel's run queues that they would wait in otherwise serve in no order: the
 * p99, docs/benchmarks.md, issue 14).
 *
 * <p>Per window ({@link #WINDOW_NANOS}, and at least two answers per call the limit lets through and {@link #MIN_ANSWERS})
 * the answers' mean time over their minimum gives the calls queued in the worker as Vegas counts
 * them, {@code limit × (1 − minimum / mean)}; fewer than {@link #ALPHA} grows the limit by one
 * (when the window used it: a limit that nothing reached is not raised), more than {@link #BETA}
 * shrinks it by one. Times are kept per statement (the SQL): the worker serves every API of a
 * workspace on its group, and an API whose query takes 50 ms is not a sign that the worker is
 * busy. The minimum of a statement is its mean in a window run at {@link #min} calls (by
 * definition: nothing queues there), lowered by any window faster than that. Such a window (a
 * probe, as BBR's) comes after a statement is first seen (its first window may be at any limit),
 * and every {@link #PROBE_NANOS}, so that the minimum does not creep up with the limit and follows
 * a database that became slower; when the calls at the maximum answer as fast as at the minimum
 * (a database that waits: nothing to learn) the interval doubles, up to {@link #MAX_PROBE_NANOS}.
 * Answers sent before a probe do not count in it. A probe window costs the calls of one window
 * ({@link #WINDOW_NANOS}, {@link #MIN_ANSWERS}) at the minimum.
 */
final class CallLimit {
    /** A window lasts at least this long. */
    static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How often the minimum is measured again (a window at {@link #min} calls)... */
    static final long PROBE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * ...and how seldom, at most: each time the calls at the limit's maximum answered about as fast as
     * at its minimum (a database that waits, not one that computes), the interval doubles up to this.
     */
    static final long MAX_PROBE_NANOS = TimeUnit.SECONDS.toNanos(80);
    /** A window has at least this many answers (and two per call the limit lets through): fewer say little. */
    static final int MIN_ANSWERS = 8;
    /** Fewer calls than this queued in the worker: the limit grows. */
    static final double ALPHA = 4;
    /** More calls than this queued in the worker: the limit shrinks. */
    static final double BETA = 8;
    /**
     * A window whose answers took more than this many times their minimum (on the mean) changes
     * nothing: that is a pause (of the server's JVM, the worker's, the machine's), which holds every
     * call in flight however many there are, not calls queued behind each other.
     */
    static final double PAUSE_RATIO = 10;
    /** The statements whose times are kept, at most (more: forgotten, and learnt again). */
    private static final int MAX_STATEMENTS = 256;

    /** Over the limit and the queue is full. */
    static final class Full extends Exception {
        private static final long serialVersionUID = 1L;

        Full() {
            super("too many calls are waiting for the worker", null, false, false);
        }
    }

    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        volatile boolean granted;
    }

    /** A statement's answer times: its minimum, and this window's sum. */
    private static final class Times {
        double minimum = Double.NaN;
        double sum;
        int count;
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final int min;
    private final int max;
    private final int maxQueued;
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private final Map<String, Times> times = new HashMap<>();

    private int limit;
    /** The limit to go back to after a window at the minimum (0: none is running). */
    private int probing;
    private int inFlight;
    private long windowStart;
    private int windowAnswers;
    /** The window had a call wait, or {@link #limit} calls in flight. */
    private boolean windowFull;
    private long lastAtMinimum;
    /** The time between windows at the minimum now: {@link #PROBE_NANOS} up to {@link #MAX_PROBE_NANOS}. */
    private long probeEvery = PROBE_NANOS;
    /** The next window is the first after one at the minimum: it says when the next one comes. */
    private boolean judgeProbe;

    /**
     * @param min       the fewest calls let through at once (the minimum answer time is measured there)
     * @param max       the most (the worker's connections); the limit starts here
     * @param maxQueued the most calls waiting: one more is {@link Full}
     */
    CallLimit(int min, int max, int maxQueued) {
        if (min < 1 || max < min || maxQueued < 0) {
            throw new IllegalArgumentException("limits " + min + ".." + max + ", queue " + maxQueued);
        }
        this.min = min;
        this.max = max;
        this.maxQueued = maxQueued;
        this.limit = max;
        this.windowStart = System.nanoTime();
        this.lastAtMinimum = windowStart;
    }

    /**
     * Waits, in order of arrival, until a call may go to the worker.
     *
     * @param deadline when to give up waiting ({@link System#nanoTime()})
     * @return whether the call may go (then {@link #release} must follow); false: the deadline passed first
     * @throws Full when {@code maxQueued} calls are already waiting
     */
    boolean acquire(long deadline) throws Full, InterruptedException {
        Waiter w;
        lock.lock();
        try {
            if (queue.isEmpty() && inFlight < limit) {
                inFlight++;
                if (inFlight >= limit) {
                    windowFull = true;
                }
                return true;
            }
            if (queue.size() >= maxQueued) {
                throw new Full();
            }
            w = new Waiter();
            queue.addLast(w);
            windowFull = true;
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (!w.granted) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                interrupted = true;
                break;
            }
        }
        lock.lock();
        try {
            if (!w.granted) {
                queue.remove(w);
            } else if (interrupted) {
                release();
            }
        } finally {
            lock.unlock();
        }
        if (interrupted) {
            throw new InterruptedException();
        }
        return w.granted;
    }

    /** A call let through by {@link #acquire} ended without an answer whose time tells anything. */
    void release() {
        release(null, 0, 0);
    }

    /**
     * A call let through by {@link #acquire} ended: the worker answered it.
     *
     * @param statement  what it ran (its SQL); null: no answer time to count (none, or a connection opened for it)
     * @param sentAt     when it went to the worker ({@link System#nanoTime()})
     * @param answeredAt when its answer was read
     */
    void release(String statement, long sentAt, long answeredAt) {
        lock.lock();
        try {
            inFlight--;
            if (statement != null) {
                answered(statement, sentAt, answeredAt);
            }
            while (inFlight < limit && !queue.isEmpty()) {
                Waiter w = queue.pollFirst();
                inFlight++;
                w.granted = true;
                LockSupport.unpark(w.thread);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The limit now (for tests and the metrics). */
    int limit() {
        lock.lock();
        try {
            return limit;
        } finally {
            lock.unlock();
        }
    }

    /** The calls waiting now (for tests). */
    int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    private void answered(String statement, long sentAt, long now) {
        if (probing > 0 && sentAt - windowStart < 0) {
            return; // sent before the window at the minimum: its time is the limit's before it
        }
        Times t = times.get(statement);
        if (t == null) {
            if (times.size() >= MAX_STATEMENTS) {
                times.clear();
            }
            t = new Times();
            times.put(statement, t);
        }
        t.sum += now - sentAt;
        t.count++;
        windowAnswers++;
        if (now - windowStart >= WINDOW_NANOS && windowAnswers >= Math.max(MIN_ANSWERS, 2 * limit)) {
            endWindow(now);
        }
    }

    private void endWindow(long now) {
        boolean atMinimum = limit == min;
        double over = 0; // Σ over the window's answers of their statement's mean ÷ minimum
        int answers = 0;
        boolean unknown = false; // a statement seen for the first time: its minimum is this window's, until one at the minimum
        for (Times t : times.values()) {
            if (t.count == 0) {
                continue;
            }
            double mean = t.sum / t.count;
            unknown |= Double.isNaN(t.minimum);
            if (atMinimum || Double.isNaN(t.minimum) || mean < t.minimum) {
                t.minimum = mean;
            }
            over += t.count * (mean / t.minimum);
            answers += t.count;
            t.sum = 0;
            t.count = 0;
        }
        boolean full = windowFull;
        windowStart = now;
        windowAnswers = 0;
        windowFull = inFlight >= limit || !queue.isEmpty();
        if (atMinimum) {
            lastAtMinimum = now;
        }
        if (probing > 0) {
            limit = probing;
            probing = 0;
            judgeProbe = true;
            return;
        }
        if (answers == 0 || over > PAUSE_RATIO * answers) {
            return;
        }
        double queued = limit * (1 - answers / over);
        if (judgeProbe) {
            // the first window after one at the minimum: all the calls at once answer as fast as a few (a database
            // that waits, not one that computes), so the next measurement can wait longer; otherwise it comes soon
            judgeProbe = false;
            probeEvery = limit == max && queued < ALPHA ? Math.min(2 * probeEvery, MAX_PROBE_NANOS) : PROBE_NANOS;
        }
        if (queued > BETA && limit > min) {
            limit--;
        } else if (queued < ALPHA && full && limit < max) {
            limit++;
        }
        if (limit > min && (unknown || now - lastAtMinimum >= probeEvery)) {
            probing = limit;
            limit = min;
        }
    }
}
