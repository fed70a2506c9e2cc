package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC DS-6: every call, written in batches by one thread so that a call never waits for its log
 * line (a call's latency is the API's, not the store's). A line waits at most {@link #FLUSH_MILLIS};
 * a server killed in that window loses those lines (the metrics counted them) — said in
 * docs/dataservice.md. A full queue drops the line and counts it, rather than stall calls.
 */
final class CallLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CallLog.class);
    static final long FLUSH_MILLIS = 200;
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
                queue.drainTo(batch, 5000);
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

    private void write(List<Call> batch) {
        if (batch.isEmpty()) {
            return;
        }
        jdbi.useHandle(h -> {
            PreparedBatch b = h.prepareBatch("""
                    INSERT INTO ds_calls (api_id, version, app_id, status, error_code, latency_millis, row_count, called_at)
                    VALUES (:api, :version, :app, :status, :code, :latency, :rows, :at)""");
            for (Call c : batch) {
                b.bind("api", c.apiId()).bind("version", c.version()).bind("app", c.appId()).bind("status", c.status())
                        .bind("code", c.errorCode()).bind("latency", c.latencyMillis()).bind("rows", c.rows())
                        .bind("at", c.calledAt()).add();
            }
            b.execute();
        });
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
