package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Metering as a pure decision (SPEC RG-9; STYLE #6): given the instance runs not yet fully
 * metered and the time, what to add to which hourly bill line and how far each run is now metered.
 * {@link Meter} reads the runs, decides here and applies the result in one transaction; the
 * property tests run it over an in-memory model, with crashes and repeated passes.
 *
 * <p>Each run is metered from its watermark (or its start) to its end — its recorded finish, the
 * moment its group was converted, or now while it runs — in milli-CU x
 * milliseconds, split at hour boundaries: exact integers, never doubles. A run whose recorded
 * finish lies before its watermark (its exit was being recorded while a pass metered it up to
 * then) gets the difference subtracted, so the bill converges on the runs' CU-seconds. A LOST run
 * (no recorded end: its supervisor vanished, say with the machine) ends where the meter last saw it.
 * A forward step of the machine's clock between two passes is not usage: a run's piece since the
 * previous pass is the time it really ran in it ({@link Pass}, {@link #stepped}).
 */
public final class MeterDecider {
    private MeterDecider() {}

    /** One instance's run as the meter sees it; all times in whole milliseconds. */
    public record InstanceRun(String instanceId, String groupId, long milliCu, Instant startedAt, Instant finishedAt,
                              Instant meteredUntil, Instant paygUntil, boolean lost) {
        public InstanceRun {
            requireNonNull(instanceId, "instanceId is null");
            requireNonNull(groupId, "groupId is null");
            requireNonNull(startedAt, "startedAt is null");
        }

        public InstanceRun(String instanceId, String groupId, long milliCu, Instant startedAt, Instant finishedAt,
                           Instant meteredUntil, Instant paygUntil) {
            this(instanceId, groupId, milliCu, startedAt, finishedAt, meteredUntil, paygUntil, false);
        }
    }

    /**
     * The same meter's previous pass: it metered the running runs up to {@code at}, and
     * {@code realMillis} have really passed since (the monotonic clock, plus what a simulated clock
     * was moved on meanwhile). A wall clock that moved further stepped forward in between.
     */
    public record Pass(Instant at, long realMillis) {
        public Pass {
            requireNonNull(at, "at is null");
        }
    }

    /** Below this a wall clock ahead of the monotonic one is the two read a moment apart, not a step. */
    static final long STEP_TOLERANCE_MILLIS = 1_000;

    /** How far a run is metered now; complete (finished and metered to its end) runs are never metered again. */
    public record Watermark(String instanceId, Instant meteredUntil, boolean complete) {}

    /**
     * @param lines per group, per hour: the milli-CU x milliseconds to add (never zero; negative to correct)
     */
    public record Decision(List<Watermark> watermarks, Map<String, Map<Instant, Long>> lines) {
        public Decision {
            watermarks = List.copyOf(watermarks);
            Map<String, Map<Instant, Long>> copy = new TreeMap<>();
            lines.forEach((g, hours) -> copy.put(g, java.util.Collections.unmodifiableMap(new TreeMap<>(hours))));
            lines = java.util.Collections.unmodifiableMap(copy);
        }
    }

    public static Decision decide(List<InstanceRun> runs, Instant now) {
        return decide(runs, now, null);
    }

    /**
     * @param previous this meter's previous pass, or null (the first since the server started: a run
     *     metered from before it is metered by the wall clock, which is all there is across a restart)
     */
    public static Decision decide(List<InstanceRun> runs, Instant now, Pass previous) {
        List<Watermark> watermarks = new ArrayList<>(runs.size());
        Map<String, Map<Instant, Long>> lines = new TreeMap<>();
        for (InstanceRun r : runs) {
            boolean finished = r.finishedAt() != null;
            Instant end = finished ? r.finishedAt() : now;
            if (finished && r.lost()) {
                // LOST: its supervisor vanished without saying when the task ended, and the time
                // recorded is when the server found out — after a restart, maybe days later. It is
                // billed until the meter last saw it running, never for the time the server was down.
                Instant seen = r.meteredUntil() != null ? r.meteredUntil() : r.startedAt();
                if (seen.isBefore(end)) {
                    end = seen;
                }
            }
            if (r.paygUntil() != null && !r.paygUntil().isAfter(end)) {
                end = r.paygUntil();
            }
            // complete only once its end is recorded: an exit recorded late may still fall before
            // the conversion (found by MeterPropertiesTest), and must then be corrected
            boolean complete = finished;
            if (end.isBefore(r.startedAt())) {
                end = r.startedAt();
            }
            Instant from = r.meteredUntil() != null ? r.meteredUntil() : r.startedAt();
            long step = previous == null ? 0 : now.toEpochMilli() - previous.at().toEpochMilli() - Math.max(0, previous.realMillis());
            if (step > STEP_TOLERANCE_MILLIS && !from.isBefore(previous.at()) && end.isAfter(from)) {
                // the wall clock stepped forward since the previous pass: the run's piece is the time that really passed
                // between its two ends, billed up to its end (stepped())
                from = end.minusMillis(stepped(previous.at(), from, end, previous.realMillis(), step));
            }
            split(from, end, r.milliCu(), lines.computeIfAbsent(r.groupId(), g -> new TreeMap<>()));
            watermarks.add(new Watermark(r.instanceId(), end, complete));
        }
        lines.values().forEach(hours -> hours.values().removeIf(delta -> delta == 0));
        lines.values().removeIf(Map::isEmpty);
        return new Decision(watermarks, lines);
    }

    /**
     * The real milliseconds between two wall times {@code from} before {@code to}, both since the
     * previous pass at {@code p}, across one forward step of {@code step} ms somewhere in the
     * {@code real} ms that passed. A time less than {@code step} after {@code p} was before the step
     * (nothing can bear a wall time inside the jump); one more than {@code real} after it, after
     * the step. Exact when each end is one or the other; a time that may be either (only possible for
     * a step no longer than the pass interval) counts as it bills more: the end before the step, the
     * start after it. So a run is never billed less than it ran, and at most the step more.
     */
    static long stepped(Instant p, Instant from, Instant to, long real, long step) {
        long f = from.toEpochMilli() - p.toEpochMilli();
        long t = to.toEpochMilli() - p.toEpochMilli();
        long startReal = f >= step ? f - step : f; // after the step when it may be
        long endReal = t < step || t <= real ? t : t - step; // before the step when it may be
        return Math.max(0, Math.min(real, endReal) - Math.min(startReal, endReal));
    }

    /** Adds {@code milliCu} x the milliseconds of [from, to) per hour; negative when to is before from. */
    public static void split(Instant from, Instant to, long milliCu, Map<Instant, Long> perHour) {
        long sign = 1;
        if (to.isBefore(from)) {
            Instant t = from;
            from = to;
            to = t;
            sign = -1;
        }
        Instant hour = from.truncatedTo(ChronoUnit.HOURS);
        while (hour.isBefore(to)) {
            Instant next = hour.plus(Duration.ofHours(1));
            Instant a = from.isAfter(hour) ? from : hour;
            Instant b = to.isBefore(next) ? to : next;
            long millis = b.toEpochMilli() - a.toEpochMilli();
            if (millis > 0) {
                perHour.merge(hour, sign * Math.multiplyExact(milliCu, millis), Math::addExact);
            }
            hour = next;
        }
    }
}
