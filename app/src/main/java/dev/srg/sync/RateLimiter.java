package dev.srg.sync;

/**
 * The job's record and byte rates (SPEC DI-3, DataX's setting.speed.record/byte): one limiter
 * shared by all channels, so the limits hold for the whole job. Each caller reserves its batch
 * and sleeps until the job's cumulative count is due.
 */
final class RateLimiter {
    private final long recordsPerSecond;
    private final long bytesPerSecond;
    private final long startNanos = System.nanoTime();
    private long records;
    private long bytes;

    /** A rate of 0 means no limit. */
    RateLimiter(long recordsPerSecond, long bytesPerSecond) {
        this.recordsPerSecond = recordsPerSecond;
        this.bytesPerSecond = bytesPerSecond;
    }

    void acquire(long batchRecords, long batchBytes) throws InterruptedException {
        if (recordsPerSecond <= 0 && bytesPerSecond <= 0) {
            return;
        }
        long dueNanos;
        synchronized (this) {
            records += batchRecords;
            bytes += batchBytes;
            long byRecords = recordsPerSecond <= 0 ? 0 : (long) (records * 1e9 / recordsPerSecond);
            long byBytes = bytesPerSecond <= 0 ? 0 : (long) (bytes * 1e9 / bytesPerSecond);
            dueNanos = startNanos + Math.max(byRecords, byBytes);
        }
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }
}
