package dev.srg.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that runs with real time but can be moved forward ({@code srg server --simulated-clock},
 * {@code POST /api/v1/clock/advance}), the way a payment platform's test clocks rehearse a billing
 * month. Never moves backwards. Thread-safe.
 */
public final class SimulatedClock extends Clock {
    private final Clock base;
    private final AtomicLong offsetMillis = new AtomicLong();

    public SimulatedClock(Clock base) {
        this.base = base;
    }

    public static SimulatedClock startingNow() {
        return new SimulatedClock(Clock.systemUTC());
    }

    /** How far the clock has been moved in all. */
    public Duration offset() {
        return Duration.ofMillis(offsetMillis.get());
    }

    /**
     * A time read from the system clock (a task's supervisor writes those) as {@code clock} tells
     * it: the same instant for a real clock, moved by the offset for a simulated one.
     */
    public static Instant onClock(Clock clock, Instant systemTime) {
        return clock instanceof SimulatedClock s ? systemTime.plusMillis(s.offsetMillis.get()) : systemTime;
    }

    /** Moves the clock forward; returns the new now. */
    public Instant advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a clock only moves forward");
        }
        offsetMillis.addAndGet(by.toMillis());
        return instant();
    }

    @Override
    public Instant instant() {
        return base.instant().plusMillis(offsetMillis.get());
    }

    @Override
    public long millis() {
        return base.millis() + offsetMillis.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
