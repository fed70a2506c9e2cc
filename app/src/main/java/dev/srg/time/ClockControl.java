package dev.srg.time;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The simulated clock as an operator moves it ({@code srg server --simulated-clock},
 * {@code POST /api/v1/clock/advance}): each move is remembered (so a restart keeps the time) and
 * then every background job runs once, so that what fell due in the jump happens at once.
 */
public final class ClockControl {
    private final SimulatedClock clock;
    private final BackgroundJobs jobs;
    private final Consumer<Duration> saveOffset;

    public ClockControl(SimulatedClock clock, BackgroundJobs jobs, Consumer<Duration> saveOffset) {
        this.clock = requireNonNull(clock, "clock is null");
        this.jobs = requireNonNull(jobs, "jobs is null");
        this.saveOffset = requireNonNull(saveOffset, "saveOffset is null");
    }

    public Instant now() {
        return clock.instant();
    }

    /** How far the clock is ahead of real time. */
    public Duration offset() {
        return clock.offset();
    }

    /** Moves the clock forward (zero: just catch up) and runs every job; returns the new now. */
    public synchronized Instant advance(Duration by) {
        clock.advance(by);
        saveOffset.accept(clock.offset());
        jobs.runAllNow();
        return clock.instant();
    }
}
