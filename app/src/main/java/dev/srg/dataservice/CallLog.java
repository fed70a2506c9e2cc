package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

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
import org.postgresql.copy.CopyIn;
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
    /** A line waits at most this (and the write) before it is stored. */
    static final long GATHER_MILLIS = 100;
    private static final int MAX_BATCH = 10_000;
    private static final int CAPACITY = 100_000;
    /** Bytes sent to the database at a time (under G1's humongous size: half a region, 512 KiB at the smallest). */
    private static final int CHUNK = 64 * 1024;
    /** Room left for the next line: a line is two ids, an error code and numbers (a longer one only grows the array). */
    private static final int MAX_LINE = 1024;

    record Call(String apiId, Integer version, String appId, int status, String errorCode, double latencyMillis, int rows,
                Instant calledAt) {}

    private final Jdbi jdbi;
    private final LinkedBlockingQueue<Call> queue = new LinkedBlockingQueue<>(CAPACITY);
    private final Thread writer;
    private volatile boolean closed;
    private long dropped;
    private final Chunk chunk = new Chunk();

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
                // waits for the first line without a timeout (close() interrupts): no wake-up while no call comes
                batch.add(queue.take());
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
     * sixth round); in binary, a line is its values' bytes. The lines go to the database through
     * one array kept by this (the only) writer thread, {@link #CHUNK} bytes at a time: a batch of
     * thousands of calls in one array was a humongous object for G1 (over half a region), and each
     * one started a concurrent marking cycle (docs/benchmarks.md, issue 14, seventh round).
     */
    private void write(List<Call> batch) {
        if (batch.isEmpty()) {
            return;
        }
        jdbi.useHandle(h -> {
            CopyIn copy = null;
            try {
                copy = h.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn("""
                        COPY ds_calls (api_id, version, app_id, status, error_code, latency_millis, row_count, called_at)
                        FROM STDIN (FORMAT binary)""");
                chunk.reset();
                chunk.write(COPY_HEADER);
                for (Call c : batch) {
                    if (chunk.size() > CHUNK - MAX_LINE) {
                        chunk.sendTo(copy);
                    }
                    line(c);
                }
                chunk.writeShort(-1);
                chunk.sendTo(copy);
                copy.endCopy();
                copy = null;
            } catch (SQLException | IOException e) {
                throw new IllegalStateException("COPY into ds_calls: " + e.getMessage(), e);
            } finally {
                if (copy != null && copy.isActive()) {
                    try {
                        copy.cancelCopy();
                    } catch (SQLException e) {
                        LOG.debug("dataservice call log: cancelling the COPY: {}", e.toString());
                    }
                }
            }
        });
    }

    /** One call's line. */
    private void line(Call c) throws IOException {
        chunk.writeShort(8);
        text(c.apiId());
        int4(c.version());
        text(c.appId());
        int4(c.status());
        text(c.errorCode());
        chunk.writeInt(8);
        chunk.writeDouble(c.latencyMillis());
        int4(c.rows());
        chunk.writeInt(8);
        chunk.writeLong(TimeUnit.SECONDS.toMicros(c.calledAt().getEpochSecond()) + c.calledAt().getNano() / 1000
                - PG_EPOCH_MICROS);
    }

    private void text(String value) throws IOException {
        if (value == null) {
            chunk.writeInt(-1);
            return;
        }
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        chunk.writeInt(b.length);
        chunk.write(b);
    }

    private void int4(Integer value) throws IOException {
        if (value == null) {
            chunk.writeInt(-1);
            return;
        }
        chunk.writeInt(4);
        chunk.writeInt(value);
    }

    /** The writer thread's buffer: filled, sent to the COPY, emptied. */
    private static final class Chunk extends DataOutputStream {
        Chunk() {
            super(new Bytes());
        }

        void reset() {
            ((Bytes) out).reset();
            written = 0; // size() is what is buffered now
        }

        void sendTo(CopyIn copy) throws SQLException {
            Bytes b = (Bytes) out;
            copy.writeToCopy(b.array(), 0, b.size());
            reset();
        }
    }

    private static final class Bytes extends ByteArrayOutputStream {
        Bytes() {
            super(CHUNK);
        }

        byte[] array() {
            return buf;
        }
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
