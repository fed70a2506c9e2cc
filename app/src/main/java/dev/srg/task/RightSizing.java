package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.billing.Money;
import dev.srg.billing.Prices;
import dev.srg.quantity.ComputeUnits;
import java.util.List;

/**
 * SPEC BEY-4: the CU a recurring task needs, from the peak memory and CPU of its recent runs. Pure.
 * A run needs {@code max(peak memory / 4 GiB, CPU seconds / run seconds)} CU (1 CU = 1 core +
 * 4 GiB, ADM-7); the advice is the largest need of the runs plus a margin, rounded up to the
 * 0.25 CU grid, never below 0.25 CU.
 */
final class RightSizing {
    static final int MIN_RUNS = 3;
    /** Head room above the largest need seen: runs vary. */
    static final double MARGIN = 0.20;
    static final long BYTES_PER_CU = 4L << 30;
    static final long MILLIS_PER_MONTH = 30L * 24 * 3600 * 1000;

    private RightSizing() {}

    /** One finished run: its CU, wall time, CPU time and peak memory (null when not measured). */
    record Run(long milliCu, long runMillis, double cpuSeconds, Long peakMemoryBytes) {}

    /**
     * @param advisedCu null when there is no advice ({@code why} says why)
     * @param monthlySaving what running at the advised size saves in a month at the pay-as-you-go
     *     price, at the pace of the last 30 days; negative when the task needs more than it asks
     */
    record Advice(ComputeUnits currentCu, ComputeUnits advisedCu, double peakMemoryGiB, double peakCpuCores, int runs,
                  Money monthlySaving, String why) {}

    /**
     * @param runs the recent successful runs, newest first
     * @param runMillisLast30Days the run time of all its runs in the last 30 days (its monthly pace)
     */
    static Advice advise(List<Run> runs, long runMillisLast30Days, Prices prices) {
        requireNonNull(runs, "runs is null");
        if (runs.isEmpty()) {
            return new Advice(null, null, 0, 0, 0, null, "no successful run yet");
        }
        ComputeUnits current = ComputeUnits.ofMilli(runs.getFirst().milliCu());
        List<Run> measured = runs.stream().filter(r -> r.peakMemoryBytes() != null && r.runMillis() > 0).toList();
        if (measured.size() < MIN_RUNS) {
            return new Advice(current, null, 0, 0, measured.size(), null, "needs at least " + MIN_RUNS
                    + " successful runs with measured peak memory and CPU (has " + measured.size() + ")");
        }
        long peakMemory = measured.stream().mapToLong(Run::peakMemoryBytes).max().orElse(0);
        double peakCores = measured.stream().mapToDouble(r -> r.cpuSeconds() / (r.runMillis() / 1000.0)).max().orElse(0);
        double need = Math.max((double) peakMemory / BYTES_PER_CU, peakCores) * (1 + MARGIN);
        long steps = Math.max(1, (long) Math.ceil(need * 1000 / 250 - 1e-9));
        ComputeUnits advised = ComputeUnits.ofMilli(steps * 250);
        long deltaMilliCu = current.milli() - advised.milli();
        Money perMonth = Prices.usage(Math.abs(deltaMilliCu) * Math.min(runMillisLast30Days, MILLIS_PER_MONTH),
                prices.payAsYouGoCuHour());
        Money saving = deltaMilliCu >= 0 ? perMonth : new Money(-perMonth.micros());
        String why = deltaMilliCu > 0 ? "peak use is well below its CU: " + advised + " is enough with a "
                + Math.round(MARGIN * 100) + "% margin"
                : deltaMilliCu < 0 ? "it needs more than it asks: it may be throttled or killed for memory; raise it to " + advised
                : "its size fits its use";
        return new Advice(current, advised, peakMemory / (double) (1L << 30), peakCores, measured.size(), saving, why);
    }
}
