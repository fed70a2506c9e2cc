package dev.srg.trace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where each submission's time goes on the server (issue 17, the submit call's tail under 16
 * clients): the nanoTime of each phase of every {@code POST /api/v1/instances}, and the spans of
 * the work that competes with it (admissions, launches, exits written), written to a file when the
 * server stops. Off by default: on with {@code -Dsrg.trace.submit=FILE}. Off, each mark is a read
 * of a static final field (folded away by the JIT); on, a request costs one {@code long[]} and
 * ~10 {@code System.nanoTime()} calls (docs/benchmarks.md, "the submit's tail").
 *
 * <p>A request's marks live in a thread-local: a request runs on one (virtual) thread from its
 * first handler to its request log; marks made on any other thread are not the request's.
 */
public final class SubmitTrace {
    public static final String PROPERTY = "srg.trace.submit";
    private static final String FILE = System.getProperty(PROPERTY, "");
    /** Whether tracing is on (read once at class load). */
    public static final boolean ON = !FILE.isEmpty();
    /** At most this many records are kept (a long run keeps its first ones). */
    private static final int MAX_RECORDS = 1_000_000;

    /** The phases of a submission, in order; each is the nanoTime when it ended. */
    public enum Phase {
        /** Jetty parsed the request (its begin time). */
        ARRIVED,
        /** The first handler of {@code /api/*} began (the request's thread got a carrier). */
        HANDLER,
        /** The bearer token was checked. */
        AUTHENTICATED,
        /** The submission's checks and reads (workspace, group, membership, network generation). */
        CHECKED,
        /** The transaction's first statement can be sent (a pooled connection taken). */
        TX_BEGUN,
        /** The transaction's statements were answered; the COMMIT is next. */
        TX_STATEMENTS,
        /** The COMMIT was answered. */
        COMMITTED,
        /** The handler ended (the answer serialized). */
        HANDLED,
        /** Javalin's request log: after the answer was written. */
        LOGGED
    }

    private static final ThreadLocal<long[]> CURRENT = new ThreadLocal<>();
    private static final Queue<long[]> RECORDS = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final long ORIGIN_NANOS = System.nanoTime();
    private static final long ORIGIN_EPOCH_MILLIS = System.currentTimeMillis();

    /** Record kinds: column 0 of a record. */
    private static final long SUBMIT = 0;
    private static final long SPAN = 1;
    private static final String[] SPAN_NAMES = {"admit", "launch", "exits", "markRunning"};

    /** Spans of competing work. */
    public enum Span {
        ADMIT, LAUNCH, EXITS, MARK_RUNNING
    }

    static {
        if (ON) {
            Runtime.getRuntime().addShutdownHook(new Thread(SubmitTrace::write, "srg-trace-write"));
        }
    }

    private SubmitTrace() {}

    /** A request's first handler: its marks begin; {@code arrivedNanos}: when Jetty parsed it (0: unknown). */
    public static void begin(long arrivedNanos) {
        if (!ON) {
            return;
        }
        long[] marks = new long[Phase.values().length + 2];
        marks[0] = SUBMIT;
        marks[2 + Phase.ARRIVED.ordinal()] = arrivedNanos;
        marks[2 + Phase.HANDLER.ordinal()] = System.nanoTime();
        CURRENT.set(marks);
    }

    /** Marks the end of {@code phase} for this thread's request, if one is being traced. */
    public static void mark(Phase phase) {
        if (!ON) {
            return;
        }
        long[] marks = CURRENT.get();
        if (marks != null) {
            marks[2 + phase.ordinal()] = System.nanoTime();
        }
    }

    /** The request ends: kept when it was a submission ({@code keep}) and had a transaction; forgotten otherwise. */
    public static void end(boolean keep, int status) {
        if (!ON) {
            return;
        }
        long[] marks = CURRENT.get();
        CURRENT.remove();
        if (marks == null || !keep) {
            return;
        }
        marks[2 + Phase.LOGGED.ordinal()] = System.nanoTime();
        marks[1] = status;
        add(marks);
    }

    /** The nanoTime a span of competing work begins (0 when tracing is off). */
    public static long spanBegins() {
        return ON ? System.nanoTime() : 0;
    }

    /** A span of competing work ended; {@code count}: how many things it did (tasks admitted, exits written). */
    public static void spanEnds(Span span, long began, int count) {
        if (!ON) {
            return;
        }
        add(new long[] {SPAN, span.ordinal(), began, System.nanoTime(), count});
    }

    private static void add(long[] record) {
        if (COUNT.incrementAndGet() <= MAX_RECORDS) {
            RECORDS.add(record);
        }
    }

    /** Writes every record: one line each, times in µs since the origin line's nanoTime. */
    static void write() {
        List<String> lines = new ArrayList<>();
        lines.add("# origin nanoTime " + ORIGIN_NANOS + " at " + Instant.ofEpochMilli(ORIGIN_EPOCH_MILLIS) + "; times in µs from it");
        StringBuilder header = new StringBuilder("# submit status");
        for (Phase p : Phase.values()) {
            header.append(' ').append(p.name().toLowerCase(java.util.Locale.ROOT));
        }
        lines.add(header.toString());
        lines.add("# span name begin end count");
        for (long[] r : RECORDS) {
            StringBuilder line = new StringBuilder();
            if (r[0] == SUBMIT) {
                line.append("submit ").append(r[1]);
                for (int i = 2; i < r.length; i++) {
                    line.append(' ').append(r[i] == 0 ? -1 : (r[i] - ORIGIN_NANOS) / 1000);
                }
            } else {
                line.append("span ").append(SPAN_NAMES[(int) r[1]]).append(' ').append((r[2] - ORIGIN_NANOS) / 1000)
                        .append(' ').append((r[3] - ORIGIN_NANOS) / 1000).append(' ').append(r[4]);
            }
            lines.add(line.toString());
        }
        try {
            Files.write(Path.of(FILE), lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + FILE, e);
        }
    }
}
