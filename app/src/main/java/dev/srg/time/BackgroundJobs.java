package dev.srg.time;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background jobs that read time (expiry, renewal, freeze, sampling, alert evaluation,
 * metering). Each job looks at the injected clock and does what is due up to now, idempotently,
 * so running it twice, late, or after a crash is harmless — and a simulated clock that jumps a
 * month is caught up by {@link #runAllNow()}. Jobs of one scheduler never run concurrently.
 */
public final class BackgroundJobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundJobs.class);

    private record Job(String name, Runnable body) {}

    private final List<Job> jobs = new CopyOnWriteArrayList<>();
    /** Whether jobs may run now: only on the cluster's leader (SPEC HA-1); always when not set. */
    private volatile java.util.function.BooleanSupplier gate = () -> true;
    private final ScheduledExecutorService executor =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-jobs").daemon().factory());

    /** From now on, jobs run only while {@code mayRun} says so (a follower of the cluster runs none). */
    public void onlyWhile(java.util.function.BooleanSupplier mayRun) {
        this.gate = java.util.Objects.requireNonNull(mayRun, "mayRun is null");
    }

    /** Runs {@code body} every {@code every} of real time (and on {@link #runAllNow()}). */
    public void register(String name, Duration every, Runnable body) {
        Job job = new Job(name, body);
        jobs.add(job);
        executor.scheduleWithFixedDelay(() -> run(job), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs every job once, now, in registration order, and waits for them (after the clock moved). */
    public void runAllNow() {
        try {
            executor.submit(() -> jobs.forEach(this::run)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("background jobs failed: {}", e.getCause().toString());
        }
    }

    private void run(Job job) {
        if (!gate.getAsBoolean()) {
            return;
        }
        long started = System.nanoTime();
        try {
            job.body().run();
            long millis = (System.nanoTime() - started) / 1_000_000;
            // a slow job (a clock jump's catch-up, a loaded database) is worth a line; the usual few ms are not
            if (millis >= 1000) {
                LOG.info("background job {} took {} ms", job.name(), millis);
            } else {
                LOG.debug("background job {} took {} ms", job.name(), millis);
            }
        } catch (RuntimeException e) {
            LOG.warn("background job {} failed (it runs again later): {}", job.name(), e.toString());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
