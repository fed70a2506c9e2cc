package dev.srg.admission;

import static java.util.Objects.requireNonNull;

/**
 * One reason a set of limits is refused: the field at fault (as the API names it, e.g.
 * {@code quotas.SCHEDULING.minimum}), the SPEC rule it breaks and a sentence for a person.
 * The API answers 400 with these; nothing is changed.
 */
public record LimitViolation(String field, String rule, String message) {
    public LimitViolation {
        requireNonNull(field, "field is null");
        requireNonNull(rule, "rule is null");
        requireNonNull(message, "message is null");
    }

    /** {@code 1250} becomes {@code "1.25 CU"}: messages speak CU, the unit people use. */
    static String cu(long milliCu) {
        return java.math.BigDecimal.valueOf(milliCu, 3).stripTrailingZeros().toPlainString() + " CU";
    }
}
