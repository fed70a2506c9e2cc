package dev.srg.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a server's start went (issue 17: a restart with 10,000 queued tasks must admit again
 * within seconds): the phases in order, each with its duration, said in one log line at the end —
 * "started in X ms: jvm ..., postgres ..., database ..., ledgers ..., api ..." — so a slow start
 * names its phase without a profiler. The first phase is the JVM's own start up to the server's
 * code, read from the process's start time.
 */
final class StartTimeline {
    private record Phase(String name, long millis) {}

    private final List<Phase> phases = new ArrayList<>();
    private final long startedNanos = System.nanoTime();
    private long markNanos = startedNanos;
    private final long jvmMillis;

    StartTimeline() {
        Optional<Instant> processStart = ProcessHandle.current().info().startInstant();
        this.jvmMillis = processStart.map(s -> Math.max(0, System.currentTimeMillis() - s.toEpochMilli())).orElse(0L);
    }

    /** Ends the phase that ran since the last mark (or the start) under {@code name}. */
    void mark(String name) {
        long now = System.nanoTime();
        phases.add(new Phase(name, (now - markNanos) / 1_000_000));
        markNanos = now;
    }

    /** The one line: the total since the JVM started, then the JVM's share and every phase. */
    String summary() {
        long total = jvmMillis + (markNanos - startedNanos) / 1_000_000;
        StringBuilder line = new StringBuilder("started in ").append(total).append(" ms: jvm ").append(jvmMillis);
        for (Phase p : phases) {
            line.append(", ").append(p.name()).append(' ').append(p.millis());
        }
        return line.toString();
    }
}
