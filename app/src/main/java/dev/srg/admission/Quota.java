package dev.srg.admission;

import java.util.ArrayList;
import java.util.List;

/**
 * The quota of one usage type in a group (SPEC ADM-2), in milli-CU: a guaranteed minimum (0 when
 * unset) and a maximum ({@link #NO_MAXIMUM} when unset). Both are multiples of
 * {@link GroupLedger#GRANULARITY_MILLI_CU} and the minimum is at most the maximum; an invalid
 * quota cannot be built, and {@link #validate} lists what is wrong with raw input without
 * throwing.
 *
 * <p>A maximum above the group's capacity is allowed (capacity caps the type anyway, and a
 * pay-as-you-go cap may be set before a scale-out); a maximum of 0 is allowed and pauses the type.
 */
public record Quota(long minMilliCu, long maxMilliCu) {
    public static final long NO_MAXIMUM = Long.MAX_VALUE;
    public static final Quota NONE = new Quota(0, NO_MAXIMUM);

    public Quota {
        List<LimitViolation> violations = validate("quota", minMilliCu, maxMilliCu);
        if (!violations.isEmpty()) {
            throw new IllegalArgumentException(violations.getFirst().field() + ": " + violations.getFirst().message());
        }
    }

    public static Quota of(long minMilliCu, long maxMilliCu) {
        return new Quota(minMilliCu, maxMilliCu);
    }

    public static Quota minimum(long minMilliCu) {
        return new Quota(minMilliCu, NO_MAXIMUM);
    }

    public static Quota maximum(long maxMilliCu) {
        return new Quota(0, maxMilliCu);
    }

    public boolean hasMaximum() {
        return maxMilliCu != NO_MAXIMUM;
    }

    /**
     * The violations of a raw quota, each naming {@code field + ".minimum"} or
     * {@code field + ".maximum"}; empty when valid. Pass {@link #NO_MAXIMUM} for an unset maximum.
     */
    public static List<LimitViolation> validate(String field, long minMilliCu, long maxMilliCu) {
        List<LimitViolation> violations = new ArrayList<>(2);
        String min = field + ".minimum";
        String max = field + ".maximum";
        if (minMilliCu < 0) {
            violations.add(new LimitViolation(min, "ADM-2", "the minimum must not be negative"));
        } else if (minMilliCu % GroupLedger.GRANULARITY_MILLI_CU != 0) {
            violations.add(new LimitViolation(min, "ADM-2", "the minimum must be a multiple of 0.25 CU"));
        }
        if (maxMilliCu != NO_MAXIMUM) {
            if (maxMilliCu < 0) {
                violations.add(new LimitViolation(max, "ADM-2", "the maximum must not be negative"));
            } else if (maxMilliCu % GroupLedger.GRANULARITY_MILLI_CU != 0) {
                violations.add(new LimitViolation(max, "ADM-2", "the maximum must be a multiple of 0.25 CU"));
            }
        }
        if (minMilliCu > maxMilliCu) {
            violations.add(new LimitViolation(min, "ADM-2", "the minimum " + LimitViolation.cu(minMilliCu)
                    + " is above the maximum " + LimitViolation.cu(maxMilliCu)));
        }
        return violations;
    }
}
