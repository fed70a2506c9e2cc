package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
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

    /** PostgreSQL's binary COPY header: the signature, no flags, no extension. */
    private static final byte[] COPY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** timestamptz in binary: microseconds since 2000-01-01 UTC. */
    private static final long PG_EPOCH_MICROS = TimeUnit.SECONDS.toMicros(Instant.parse("2000-01-01T00:00:00Z").getEpochSecond());

    /**
     * The batch in one binary COPY: the profile of the server had the earlier INSERT of the columns
     * as arrays at 9 % of its CPU per call, most of it pgjdbc escaping each array element, and a
     * text COPY still spent most of its time formatting times and numbers (docs/benchmarks.md,
     * sixth round); in binary, a line is its values' bytes.
     */
    private void write(List<Call> batch) {
        if (batch.isEmpty()) {
            return;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(COPY_HEADER.length + batch.size() * 128 + 2);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(COPY_HEADER);
            for (Call c : batch) {
                out.writeShort(8);
                text(out, c.apiId());
                int4(out, c.version());
                text(out, c.appId());
                int4(out, c.status());
                text(out, c.errorCode());
                out.writeInt(8);
                out.writeDouble(c.latencyMillis());
                int4(out, c.rows());
                out.writeInt(8);
                out.writeLong(TimeUnit.SECONDS.toMicros(c.calledAt().getEpochSecond()) + c.calledAt().getNano() / 1000
                        - PG_EPOCH_MICROS);
            }
            out.writeShort(-1);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        jdbi.useHandle(h -> {
            try {
                h.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn("""
                        COPY ds_calls (api_id, version, app_id, status, error_code, latency_millis, row_count, called_at)
                        FROM STDIN (FORMAT binary)""", new ByteArrayInputStream(bytes.toByteArray()));
            } catch (SQLException | IOException e) {
                throw new IllegalStateException("COPY into ds_calls: " + e.getMessage(), e);
            }
        });
    }

    private static void text(DataOutputStream out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void int4(DataOutputStream out, Integer value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(4);
        out.writeInt(value);
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
