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
 * once, and {@code retry} when splits are copied again (a failed attempt retried, or one split
 * whose COPY the writer refused): their dirty records are dropped (the worker takes their counts
 * back out of its totals) and found again. The
 * server reads them from the task's log; everything else in the log is for people.
 */
final class SyncProgress {
    static final String PREFIX = "[srg-sync] ";
    static final int MAX_DIRTY_LINES = 1000;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Records and bytes read and written, in all (the split's shares in {@link #tallies}). */
    final Count read = new Count();
    final Count written = new Count();
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
        m.put("recordsRead", read.records.get());
        m.put("recordsWritten", written.records.get());
        m.put("bytesRead", read.bytes.get());
        m.put("bytesWritten", written.bytes.get());
        m.put("recordsPerSecond", written.records.get() * 1000 / elapsed);
        m.put("bytesPerSecond", written.bytes.get() * 1000 / elapsed);
        m.put("dirtyRecords", dirtyRecords.get());
        m.put("splitsDone", splitsDone.get());
        m.put("splitsTotal", splitsTotal);
        m.put("elapsedMillis", elapsed);
        return m;
    }

    void report() {
        line("progress", snapshot());
    }

    /** A number of records and their bytes. */
    static final class Count {
        final AtomicLong records = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();

        void add(long records, long bytes) {
            this.records.addAndGet(records);
            this.bytes.addAndGet(bytes);
        }
    }

    /** A split's share of the totals (records and bytes read and written, dirty records). */
    static final class Tally {
        final Count read = new Count();
        final Count written = new Count();
        final AtomicLong dirty = new AtomicLong();
    }

    Tally tally(int split) {
        return tallies.computeIfAbsent(split, k -> new Tally());
    }

    void read(int split, long records, long bytes) {
        tally(split).read.add(records, bytes);
        read.add(records, bytes);
    }

    void written(int split, long records, long bytes) {
        tally(split).written.add(records, bytes);
        written.add(records, bytes);
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
        redone.forEach(this::takeBack);
        splitsDone.set(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attempt", attempt);
        m.put("reason", reason);
        m.put("splits", redone.stream().sorted().toList());
        line("retry", m);
    }

    /**
     * One split is copied again within the attempt (its transaction was lost): what it added is
     * taken out, and the server drops its dirty records, as for a retry of that split alone.
     */
    void redo(int split) {
        takeBack(split);
        line("retry", Map.of("splits", List.of(split)));
    }

    private void takeBack(int split) {
        Tally t = tallies.remove(split);
        if (t == null) {
            return;
        }
        read.add(-t.read.records.get(), -t.read.bytes.get());
        written.add(-t.written.records.get(), -t.written.bytes.get());
        dirtyRecords.addAndGet(-t.dirty.get());
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
