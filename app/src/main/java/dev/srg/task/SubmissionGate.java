package dev.srg.task;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Submissions in flight, which admission lets go first (issue 17, eighth round): under load a
 * submission's answer waits for PostgreSQL, whose backends share the cores with the admitter's
 * transactions and launches. An admission that is due waits until no submission is in flight, or
 * at most a bounded time, so it never waits on a steady stream of them; what it then admits is
 * everything that became due meanwhile, in one transaction. Nothing is held across the wait but
 * the thread: what admission would start is QUEUED in the store, so a crash loses nothing.
 */
final class SubmissionGate {

    private final long maxWaitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition quiet = lock.newCondition();
    /** Guarded by {@code lock}. */
    private int inFlight;

    /** {@code maxWaitMillis} 0: admission never waits. */
    SubmissionGate(long maxWaitMillis) {
        if (maxWaitMillis < 0) {
            throw new IllegalArgumentException("maxWaitMillis is negative: " + maxWaitMillis);
        }
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
    }

    /** A submission begins; close what this returns when it has its answer (or failed). */
    Submission enter() {
        lock.lock();
        try {
            inFlight++;
        } finally {
            lock.unlock();
        }
        return new Submission();
    }

    /** One submission in flight; closing it twice counts once. */
    final class Submission implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (--inFlight == 0) {
                    quiet.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Waits until no submission is in flight, at most the gate's time; true when it found or saw
     * them all done, false when the time ran out (the caller goes on either way).
     */
    boolean awaitQuiet() throws InterruptedException {
        if (maxWaitNanos == 0) {
            return true;
        }
        lock.lock();
        try {
            long left = maxWaitNanos;
            while (inFlight > 0) {
                if (left <= 0) {
                    return false;
                }
                left = quiet.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Submissions in flight now. */
    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }
}
