package dev.srg.billing;

import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a budget's spending means now (SPEC BEY-3). Pure: the amount, what the month has spent,
 * the thresholds and which of them this month already notified in; which to notify now and whether
 * the budget is spent out. A threshold is reached when {@code spent * 100 >= amount * percent}
 * (exact, in micro-units); one already notified this month is never notified again, so a raised
 * budget does not notify a threshold twice, and a new month starts with none notified.
 */
public final class BudgetDecider {
    /** A billion units of money or CU-hours. */
    public static final long MAX_AMOUNT_MICROS = 1_000_000_000L * 1_000_000L;

    private BudgetDecider() {}

    /**
     * @param toNotify the thresholds to notify now, ascending
     * @param spentOut whether the month's spending reached the amount
     */
    public record Decision(List<Integer> toNotify, boolean spentOut) {}

    public static Decision decide(long amountMicros, long spentMicros, List<Integer> thresholds, Set<Integer> notified) {
        if (amountMicros <= 0 || amountMicros > MAX_AMOUNT_MICROS) {
            throw new IllegalArgumentException("amount must be positive: " + amountMicros);
        }
        List<Integer> toNotify = new ArrayList<>();
        for (int percent : thresholds.stream().sorted().distinct().toList()) {
            if (reached(amountMicros, spentMicros, percent) && !notified.contains(percent)) {
                toNotify.add(percent);
            }
        }
        return new Decision(toNotify, reached(amountMicros, spentMicros, 100));
    }

    /**
     * SPEC BEY-3: the month a budget with {@code holdNewTasks} holds its scope's new tasks in — the
     * given month once its spending reached the amount — or null when it holds nothing.
     */
    public static String holdingMonth(boolean holdNewTasks, long amountMicros, long spentMicros, YearMonth month) {
        return holdNewTasks && reached(amountMicros, spentMicros, 100) ? month.toString() : null;
    }

    /**
     * Whether a stored hold applies in {@code now}: only in the month it was recorded in, so a new
     * month releases the tasks at once, before any job has run (the store is read with the clock).
     */
    public static boolean holds(boolean holdNewTasks, String holdingMonth, YearMonth now) {
        return holdNewTasks && now.toString().equals(holdingMonth);
    }

    /** Amounts are at most {@link #MAX_AMOUNT_MICROS}, so the products below cannot overflow. */
    private static boolean reached(long amountMicros, long spentMicros, int percent) {
        return spentMicros >= Long.MAX_VALUE / 100 || spentMicros * 100 >= amountMicros * percent;
    }
}
