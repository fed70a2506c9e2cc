package dev.srg.sync;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;

/**
 * The counters of a running sync (SPEC DI-5) and its side channel to srg: lines on stdout that
 * start with {@value #PREFIX} and carry JSON — {@code progress} every second and at the end,
 * {@code dirty} for the first {@value #MAX_DIRTY_LINES} dirty records (DI-4), {@code finished}
 * once. The server reads them from the task's log; everything else in the log is for people.
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

    void dirty(int split, String reason, Map<String, Object> record) {
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
