package dev.srg.group;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which profile of a quota schedule applies at an instant, and when that changes (SPEC BEY-2).
 * Pure: the schedule and the instant in, the answer out; the store and the clock stay outside, so
 * the applied profile is always derived (a restart or a leader switch cannot lose it).
 *
 * <p>A profile applies at {@code t} when one of its firings {@code f} has {@code f <= t < f +
 * duration}; of those that apply, the one with the latest such firing wins, a tie going to the
 * first in the list. Only the latest firing at or before {@code t} matters: an earlier one ends
 * earlier.
 */
public final class QuotaScheduleDecider {
    /** A profile as the decider sees it. */
    public record Rule(Cron cron, Duration duration) {
        public Rule {
            requireNonNull(cron, "cron is null");
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("duration must be positive: " + duration);
            }
        }
    }

    /** The profile that applies ({@code -1}: none, the group's own settings) and since when ({@code null} for none). */
    public record Choice(int profile, Instant since) {
        public static final Choice NONE = new Choice(-1, null);
    }

    /** What applies over {@code [from, to)}. */
    public record Segment(Instant from, Instant to, int profile) {}

    private final List<Rule> rules;
    private final ZoneId zone;

    public QuotaScheduleDecider(List<Rule> rules, ZoneId zone) {
        this.rules = List.copyOf(rules);
        this.zone = requireNonNull(zone, "zone is null");
    }

    /** What applies at {@code t}. */
    public Choice at(Instant t) {
        Choice best = Choice.NONE;
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            Optional<Instant> fired = r.cron().latestAtOrBefore(t, t.minus(r.duration()), zone);
            if (fired.isPresent() && (best.since() == null || fired.get().isAfter(best.since()))) {
                best = new Choice(i, fired.get());
            }
        }
        return best;
    }

    /**
     * The first instant after {@code t} and at most {@code limit} at which what applies may
     * change: a firing or the end of an applying profile; empty when none before the limit.
     */
    public Optional<Instant> nextChange(Instant t, Instant limit) {
        Instant next = null;
        for (Rule r : rules) {
            Optional<Instant> fires = r.cron().firstAfter(t, limit, zone);
            if (fires.isPresent() && (next == null || fires.get().isBefore(next))) {
                next = fires.get();
            }
            Optional<Instant> fired = r.cron().latestAtOrBefore(t, t.minus(r.duration()), zone);
            if (fired.isPresent()) {
                Instant ends = fired.get().plus(r.duration());
                if (ends.isAfter(t) && !ends.isAfter(limit) && (next == null || ends.isBefore(next))) {
                    next = ends;
                }
            }
        }
        return Optional.ofNullable(next);
    }

    /**
     * What applies over {@code [from, to)}, adjacent segments of the same profile merged; at most
     * {@code maxSegments} (the last one then ends where the listing stops).
     */
    public List<Segment> timeline(Instant from, Instant to, int maxSegments) {
        List<Segment> segments = new ArrayList<>();
        Instant t = from;
        int current = at(t).profile();
        Instant start = t;
        while (t.isBefore(to) && segments.size() < maxSegments) {
            Optional<Instant> change = nextChange(t, to);
            if (change.isEmpty()) {
                break;
            }
            t = change.get();
            int now = at(t).profile();
            // a profile firing again while it applies starts a new period of the same profile: one segment
            if (now != current) {
                segments.add(new Segment(start, t, current));
                current = now;
                start = t;
            }
        }
        if (segments.size() < maxSegments && start.isBefore(to)) {
            segments.add(new Segment(start, to, current));
        }
        return segments;
    }
}
