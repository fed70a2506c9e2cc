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

    /** The start of a cycle that ends at {@code end} (calendar months or years back, in UTC). */
    public Instant subtractFrom(Instant end) {
        var t = end.atOffset(ZoneOffset.UTC);
        return (unit == Unit.MONTH ? t.minusMonths(count) : t.minusYears(count)).toInstant();
    }
}
