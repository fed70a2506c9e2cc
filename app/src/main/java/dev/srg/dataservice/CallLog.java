package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC DS-6: every call, written in batches by one thread so that a call never waits for its log
 * line (a call's latency is the API's, not the store's). A line waits at most {@link #GATHER_MILLIS}
 * and the write;
 * a server killed in that window loses those lines (the metrics counted them) — said in
 * docs/dataservice.md. A full queue drops the line and counts it, rather than stall calls.
 */
final class CallLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CallLog.class);
    static final long FLUSH_MILLIS = 200;
    /** A line waits at most this (and the write) before it is stored. */
    static final long GATHER_MILLIS = 100;
    private static final int MAX_BATCH = 10_000;
    private static final int CAPACITY = 100_000;

    record Call(String apiId, Integer version, String appId, int status, String errorCode, double latencyMillis, int rows,
                Instant calledAt) {}

    private final Jdbi jdbi;
    private final LinkedBlockingQueue<Call> queue = new LinkedBlockingQueue<>(CAPACITY);
    private final Thread writer;
    private volatile boolean closed;
    private long dropped;

    CallLog(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.writer = new Thread(this::run, "ds-call-log");
        writer.setDaemon(true);
        writer.start();
    }

    void add(Call call) {
        if (!queue.offer(call)) {
            synchronized (this) {
                dropped++;
                if (dropped == 1 || dropped % 10_000 == 0) {
                    LOG.warn("dataservice call log: {} lines dropped (the store is slower than the calls)", dropped);
                }
            }
        }
    }

    private void run() {
        List<Call> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                Call first = queue.poll(FLUSH_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                if (!closed) {
                    // gather what comes in the next moments: one statement for many calls
                    Thread.sleep(GATHER_MILLIS);
                }
                queue.drainTo(batch, MAX_BATCH - 1);
                write(batch);
            } catch (InterruptedException e) {
                if (closed) {
                    queue.drainTo(batch);
                    write(batch);
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("dataservice call log: {} lines not written: {}", batch.size(), e.toString());
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * The batch in one COPY (text format): the profile of the server had the earlier INSERT of the
     * columns as arrays at 9 % of its CPU per call, most of it pgjdbc escaping each array element
     * (docs/benchmarks.md, sixth round); COPY's text is written here in one pass and parsed by the
     * database on its fastest path.
     */
    private void write(List<Call> batch) {
        if (batch.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder(batch.size() * 96);
        for (Call c : batch) {
            field(text, c.apiId()).append('\t');
            field(text, c.version() == null ? null : c.version().toString()).append('\t');
            field(text, c.appId()).append('\t');
            text.append(c.status()).append('\t');
            field(text, c.errorCode()).append('\t');
            text.append(c.latencyMillis()).append('\t').append(c.rows()).append('\t');
            text.append(c.calledAt()).append('\n'); // ISO 8601 in UTC, which timestamptz reads
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        jdbi.useHandle(h -> {
            try {
                h.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn("""
                        COPY ds_calls (api_id, version, app_id, status, error_code, latency_millis, row_count, called_at)
                        FROM STDIN (FORMAT text)""", new ByteArrayInputStream(bytes));
            } catch (SQLException | IOException e) {
                throw new IllegalStateException("COPY into ds_calls: " + e.getMessage(), e);
            }
        });
    }

    /** A text field of COPY: null as \N, and its backslashes, tabs and line ends escaped. */
    private static StringBuilder field(StringBuilder out, String value) {
        if (value == null) {
            return out.append("\\N");
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
