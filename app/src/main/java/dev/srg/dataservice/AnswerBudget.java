package dev.srg.dataservice;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server-wide budget of DataService answer bytes in flight (docs/dataservice.md, "Answers in
 * flight"): each answer is at most {@link WorkerProtocol#MAX_ANSWER_BYTES}, and this bounds their
 * sum, so many large answers at once cannot take the heap. A call takes its share before the rows
 * frame is read (its length is known from the frame's prefix, nothing allocated yet) and gives it
 * back when its answer has been written to the caller; a call that finds the budget spent waits
 * briefly for its turn, then is refused (503 {@code ServiceUnavailable.DataService.AnswerBudget},
 * Retry-After) and its rows are skipped on the socket without being held.
 */
public final class AnswerBudget {
    /** An answer is held twice on its way out: the rows frame, then the body made of it. */
    static final int COPIES = 2;
    /** The least budget: two of the largest answers at once. */
    static final long MIN_BYTES = 2L * COPIES * WorkerProtocol.MAX_ANSWER_BYTES;

    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private long used;
    private long peak;

    public AnswerBudget(long capacityBytes) {
        if (capacityBytes < MIN_BYTES) {
            throw new IllegalArgumentException("the answer budget must be at least " + MIN_BYTES + " bytes");
        }
        this.capacity = capacityBytes;
    }

    /** A quarter of the heap {@code maxHeapBytes} (Runtime.maxMemory()), at least {@link #MIN_BYTES}. */
    public static long forHeap(long maxHeapBytes) {
        return Math.max(MIN_BYTES, maxHeapBytes / 4);
    }

    public long capacity() {
        return capacity;
    }

    /** The most ever in flight at once (for tests and the log). */
    public long peak() {
        lock.lock();
        try {
            return peak;
        } finally {
            lock.unlock();
        }
    }

    /** In flight now. */
    public long used() {
        lock.lock();
        try {
            return used;
        } finally {
            lock.unlock();
        }
    }

    /** A share for an answer of {@code answerBytes}, waiting at most {@code waitMillis}; null: the budget stayed spent. */
    Lease acquire(long answerBytes, long waitMillis) throws InterruptedException {
        long bytes = Math.min(capacity, Math.max(0, answerBytes) * COPIES);
        long left = TimeUnit.MILLISECONDS.toNanos(Math.max(0, waitMillis));
        lock.lock();
        try {
            while (used + bytes > capacity) {
                if (left <= 0) {
                    return null;
                }
                left = freed.awaitNanos(left);
            }
            used += bytes;
            peak = Math.max(peak, used);
            return new Lease(this, bytes);
        } finally {
            lock.unlock();
        }
    }

    private void release(long bytes) {
        lock.lock();
        try {
            used -= bytes;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** One answer's share; given back once, by whoever finishes with the answer. */
    public static final class Lease implements Runnable {
        private final AnswerBudget budget;
        private final long bytes;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        private Lease(AnswerBudget budget, long bytes) {
            this.budget = budget;
            this.bytes = bytes;
        }

        /** Gives the share back (again: nothing). */
        @Override
        public void run() {
            if (released.compareAndSet(false, true)) {
                budget.release(bytes);
            }
        }
    }

    /** A lease of nothing (an answer with no rows frame). */
    static final Runnable NONE = () -> { };
}
