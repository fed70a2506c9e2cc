package dev.srg.group;

import dev.srg.error.SrgException;
import java.time.Instant;
import java.time.ZoneOffset;

/** A subscription's prepaid period (RG-3): 1 to 12 months or 1 to 5 years. */
public record BillingCycle(Unit unit, Integer count) {
    public enum Unit { MONTH, YEAR }

    public static BillingCycle validate(String field, BillingCycle cycle) {
        if (cycle == null) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required for a SUBSCRIPTION group");
        }
        if (cycle.unit() == null) {
            throw SrgException.invalid(field + ".unit", "MissingParameter", field + ".unit is required: MONTH or YEAR");
        }
        int max = cycle.unit() == Unit.MONTH ? 12 : 5;
        if (cycle.count() == null || cycle.count() < 1 || cycle.count() > max) {
            throw SrgException.invalid(field + ".count", "InvalidParameter.BillingCycle",
                    field + ".count must be 1 to " + max + " for unit " + cycle.unit());
        }
        return cycle;
    }

    public Instant addTo(Instant start) {
        var t = start.atOffset(ZoneOffset.UTC);
        return (unit == Unit.MONTH ? t.plusMonths(count) : t.plusYears(count)).toInstant();
    }

    /**
     * The end of a cycle from {@code start} for a subscription first bought at {@code anchor} (null:
     * {@code start}): calendar months or years in UTC, and back on the anchor's day of the month
     * where the month has it — bought on Jan 31, a month ends Feb 28 (29), then Mar 31, Apr 30 —
     * instead of drifting to the 28th for good. Never earlier than {@link #addTo(Instant)}.
     */
    public Instant addTo(Instant start, Instant anchor) {
        var next = addTo(start).atOffset(ZoneOffset.UTC);
        if (anchor != null) {
            int day = Math.min(anchor.atOffset(ZoneOffset.UTC).getDayOfMonth(), next.toLocalDate().lengthOfMonth());
            if (day > next.getDayOfMonth()) {
                next = next.withDayOfMonth(day);
            }
        }
        return next.toInstant();
    }

    /** The start of a cycle that ends at {@code end} (calendar months or years back, in UTC). */
    public Instant subtractFrom(Instant end) {
        var t = end.atOffset(ZoneOffset.UTC);
        return (unit == Unit.MONTH ? t.minusMonths(count) : t.minusYears(count)).toInstant();
    }
}
