package dev.srg.admission;

import java.util.Arrays;

/**
 * The queued tasks of one priority, in sequence order. Admission scans it without allocating and
 * without following references: type, size and arrival of each slot sit in primitive arrays
 * beside the task. Removal leaves a hole (so a scan in progress keeps its indices); holes at the
 * front are skipped at once and the rest are squeezed out when the level is sparse and no scan
 * is running.
 */
final class PriorityLevel {
    private static final int INITIAL_SIZE = 16;

    /** The task of each slot; null for a hole. */
    QueuedTask[] tasks = new QueuedTask[INITIAL_SIZE];
    byte[] types = new byte[INITIAL_SIZE];
    long[] milliCu = new long[INITIAL_SIZE];
    long[] enqueuedAtMillis = new long[INITIAL_SIZE];
    /** The sequence of each slot, kept for holes too, so slots stay binary-searchable. */
    private long[] sequences = new long[INITIAL_SIZE];
    int start;
    int end;
    private int live;

    boolean isEmpty() {
        return live == 0;
    }

    void add(QueuedTask task) {
        long sequence = task.sequence();
        if (live == 0) {
            start = 0;
            end = 0;
        }
        if (end > start && sequence <= sequences[end - 1]) {
            insertInOrder(task);
            return;
        }
        makeRoom();
        set(end, task);
        end++;
        live++;
    }

    /** A task arriving out of order (restored, or put back after a failed start). */
    private void insertInOrder(QueuedTask task) {
        int found = Arrays.binarySearch(sequences, start, end, task.sequence());
        if (found >= 0) {
            if (tasks[found] != null) {
                throw new IllegalStateException("sequence " + task.sequence() + " is already queued by " + tasks[found].id());
            }
            set(found, task); // back into its own hole
            live++;
            return;
        }
        if (start > 0 && task.sequence() < sequences[start]) {
            start--;
            set(start, task);
            live++;
            return;
        }
        makeRoom();
        int at = -Arrays.binarySearch(sequences, start, end, task.sequence()) - 1;
        int moved = end - at;
        System.arraycopy(tasks, at, tasks, at + 1, moved);
        System.arraycopy(types, at, types, at + 1, moved);
        System.arraycopy(milliCu, at, milliCu, at + 1, moved);
        System.arraycopy(enqueuedAtMillis, at, enqueuedAtMillis, at + 1, moved);
        System.arraycopy(sequences, at, sequences, at + 1, moved);
        set(at, task);
        end++;
        live++;
    }

    private void set(int index, QueuedTask task) {
        tasks[index] = task;
        types[index] = (byte) task.type().ordinal();
        milliCu[index] = task.milliCu();
        enqueuedAtMillis[index] = task.enqueuedAtMillis();
        sequences[index] = task.sequence();
    }

    void remove(QueuedTask task) {
        int found = Arrays.binarySearch(sequences, start, end, task.sequence());
        if (found < 0 || tasks[found] != task) {
            throw new IllegalStateException("task " + task.id() + " is not in its priority level");
        }
        removeAt(found);
    }

    /** Safe during a scan: moves nothing but {@code start}. */
    void removeAt(int index) {
        tasks[index] = null;
        live--;
        if (live == 0) {
            start = 0;
            end = 0;
        } else if (index == start) {
            while (tasks[start] == null) {
                start++;
            }
        }
    }

    /** Squeezes out holes when they outnumber the tasks. Never during a scan. */
    void compactIfSparse() {
        if (end - start - live > Math.max(live, INITIAL_SIZE)) {
            compact();
        }
    }

    private void makeRoom() {
        if (end < tasks.length) {
            return;
        }
        if (live <= tasks.length / 2) {
            compact();
        } else {
            int size = tasks.length * 2;
            tasks = Arrays.copyOf(tasks, size);
            types = Arrays.copyOf(types, size);
            milliCu = Arrays.copyOf(milliCu, size);
            enqueuedAtMillis = Arrays.copyOf(enqueuedAtMillis, size);
            sequences = Arrays.copyOf(sequences, size);
        }
    }

    private void compact() {
        int to = 0;
        for (int from = start; from < end; from++) {
            if (tasks[from] != null) {
                tasks[to] = tasks[from];
                types[to] = types[from];
                milliCu[to] = milliCu[from];
                enqueuedAtMillis[to] = enqueuedAtMillis[from];
                sequences[to] = sequences[from];
                to++;
            }
        }
        Arrays.fill(tasks, to, end, null);
        start = 0;
        end = to;
    }
}
