package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
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

    /** One INSERT of the batch's columns as arrays (one statement and one row set, not a statement per line). */
    private void write(List<Call> batch) {
        if (batch.isEmpty()) {
            return;
        }
        int n = batch.size();
        String[] api = new String[n];
        Integer[] version = new Integer[n];
        String[] app = new String[n];
        Integer[] status = new Integer[n];
        String[] code = new String[n];
        Double[] latency = new Double[n];
        Integer[] rows = new Integer[n];
        Long[] at = new Long[n];
        for (int i = 0; i < n; i++) {
            Call c = batch.get(i);
            api[i] = c.apiId();
            version[i] = c.version();
            app[i] = c.appId();
            status[i] = c.status();
            code[i] = c.errorCode();
            latency[i] = c.latencyMillis();
            rows[i] = c.rows();
            at[i] = TimeUnit.SECONDS.toMicros(c.calledAt().getEpochSecond()) + c.calledAt().getNano() / 1000;
        }
        jdbi.useHandle(h -> h.createUpdate("""
                INSERT INTO ds_calls (api_id, version, app_id, status, error_code, latency_millis, row_count, called_at)
                SELECT a, v, p, s, c, l, r, timestamptz 'epoch' + m * interval '1 microsecond'
                FROM unnest(:api, :version, :app, :status, :code, :latency, :rows, :at) AS x (a, v, p, s, c, l, r, m)""")
                .bindArray("api", String.class, (Object[]) api).bindArray("version", Integer.class, (Object[]) version)
                .bindArray("app", String.class, (Object[]) app).bindArray("status", Integer.class, (Object[]) status)
                .bindArray("code", String.class, (Object[]) code).bindArray("latency", Double.class, (Object[]) latency)
                .bindArray("rows", Integer.class, (Object[]) rows).bindArray("at", Long.class, (Object[]) at)
                .execute());
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
