package dev.srg.sync;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;

/**
 * The counters of a running sync (SPEC DI-5) and its side channel to srg: lines on stdout that
 * start with {@value #PREFIX} and carry JSON — {@code progress} every second and at the end,
 * {@code dirty} for the first {@value #MAX_DIRTY_LINES} dirty records (DI-4), {@code finished}
 * once, and {@code retry} when a failed attempt is retried: the splits it names are copied again,
 * so their dirty records are dropped (the worker takes their counts back out of its totals). The
 * server reads them from the task's log; everything else in the log is for people.
 */
final class SyncProgress {
    static final String PREFIX = "[srg-sync] ";
    static final int MAX_DIRTY_LINES = 1000;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    final AtomicLong recordsRead = new AtomicLong();
    final AtomicLong recordsWritten = new AtomicLong();
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong dirtyRecords = new AtomicLong();
    final AtomicLong splitsDone = new AtomicLong();
    volatile long splitsTotal;
    /** What each split not yet committed added to the totals: taken back out if an attempt fails and is retried. */
    private final Map<Integer, Tally> tallies = new ConcurrentHashMap<>();
    private final long startNanos = System.nanoTime();
    private final PrintStream out;

    SyncProgress(PrintStream out) {
        this.out = out;
    }

    Map<String, Object> snapshot() {
        long elapsed = Math.max(1, (System.nanoTime() - startNanos) / 1_000_000);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recordsRead", recordsRead.get());
        m.put("recordsWritten", recordsWritten.get());
        m.put("bytesRead", bytesRead.get());
        m.put("bytesWritten", bytesWritten.get());
        m.put("recordsPerSecond", recordsWritten.get() * 1000 / elapsed);
        m.put("bytesPerSecond", bytesWritten.get() * 1000 / elapsed);
        m.put("dirtyRecords", dirtyRecords.get());
        m.put("splitsDone", splitsDone.get());
        m.put("splitsTotal", splitsTotal);
        m.put("elapsedMillis", elapsed);
        return m;
    }

    void report() {
        line("progress", snapshot());
    }

    /** A split's share of the totals (records and bytes read and written, dirty records). */
    static final class Tally {
        final AtomicLong read = new AtomicLong();
        final AtomicLong written = new AtomicLong();
        final AtomicLong bytesRead = new AtomicLong();
        final AtomicLong bytesWritten = new AtomicLong();
        final AtomicLong dirty = new AtomicLong();
    }

    Tally tally(int split) {
        return tallies.computeIfAbsent(split, k -> new Tally());
    }

    void read(int split, long records, long bytes) {
        Tally t = tally(split);
        t.read.addAndGet(records);
        t.bytesRead.addAndGet(bytes);
        recordsRead.addAndGet(records);
        bytesRead.addAndGet(bytes);
    }

    void written(int split, long records, long bytes) {
        Tally t = tally(split);
        t.written.addAndGet(records);
        t.bytesWritten.addAndGet(bytes);
        recordsWritten.addAndGet(records);
        bytesWritten.addAndGet(bytes);
    }

    /** The split's rows are kept whatever happens next: its share stays in the totals. */
    void committed(int split) {
        tallies.remove(split);
    }

    /**
     * Before a retry: every split not committed is copied again, so what it added is taken out of
     * the totals, and the server drops its dirty records (the retry finds them again); the splits
     * done are counted again as the next attempt skips them.
     */
    void retrying(int attempt, String reason) {
        List<Integer> redone = List.copyOf(tallies.keySet());
        for (Integer split : redone) {
            Tally t = tallies.remove(split);
            recordsRead.addAndGet(-t.read.get());
            recordsWritten.addAndGet(-t.written.get());
            bytesRead.addAndGet(-t.bytesRead.get());
            bytesWritten.addAndGet(-t.bytesWritten.get());
            dirtyRecords.addAndGet(-t.dirty.get());
        }
        splitsDone.set(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attempt", attempt);
        m.put("reason", reason);
        m.put("splits", redone.stream().sorted().toList());
        line("retry", m);
    }

    void dirty(int split, String reason, Map<String, Object> record) {
        tally(split).dirty.incrementAndGet();
        long n = dirtyRecords.incrementAndGet();
        if (n <= MAX_DIRTY_LINES) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("split", split);
            m.put("reason", reason);
            m.put("record", record);
            line("dirty", m);
        }
    }

    void finished(String status, String reason, Map<String, Object> extra) {
        Map<String, Object> m = snapshot();
        m.put("status", status);
        if (reason != null) {
            m.put("reason", reason);
        }
        m.putAll(extra);
        line("finished", m);
    }

    synchronized void line(String type, Map<String, Object> body) {
        out.println(PREFIX + type + " " + JSON.writeValueAsString(body));
        out.flush();
    }

    synchronized void say(String text) {
        out.println(text);
        out.flush();
    }
}
