package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.billing.Prices;
import dev.srg.quantity.ComputeUnits;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SPEC BEY-4: right-sizing from peak memory and CPU, without a database. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RightSizingTest {
    private static final long GIB = 1L << 30;

    @Test
    @DisplayName("SPEC BEY-4: memory-bound — 5 GiB peak x 1.2 = 1.5 CU; at 4 CU it saves 2.5 CU x its monthly run time")
    void memoryBound() {
        var runs = List.of(new RightSizing.Run(4000, 3_600_000, 1800, 5 * GIB), new RightSizing.Run(4000, 3_600_000, 900, 4 * GIB),
                new RightSizing.Run(4000, 3_600_000, 100, 3 * GIB));
        var a = RightSizing.advise(runs, 10 * 3_600_000L, Prices.DEFAULTS);
        assertThat(a.advisedCu()).isEqualTo(ComputeUnits.ofMilli(1500));
        assertThat(a.currentCu()).isEqualTo(ComputeUnits.ofCu(4));
        // 2.5 CU x 10 h x 0.12 = 3.00
        assertThat(a.monthlySaving().amount()).isEqualByComparingTo("3.00");
        assertThat(a.runs()).isEqualTo(3);
    }

    @Test
    @DisplayName("SPEC BEY-4: CPU-bound — 2.1 cores x 1.2 = 2.52, up to the 0.25 grid: 2.75 CU; undersized says raise it")
    void cpuBoundAndUndersized() {
        var runs = List.of(new RightSizing.Run(2000, 1000_000, 2100, GIB / 2), new RightSizing.Run(2000, 1000_000, 1000, GIB / 2),
                new RightSizing.Run(2000, 1000_000, 500, GIB / 2));
        var a = RightSizing.advise(runs, 3_000_000, Prices.DEFAULTS);
        assertThat(a.advisedCu()).isEqualTo(ComputeUnits.ofMilli(2750));
        assertThat(a.monthlySaving().micros()).isNegative();
        assertThat(a.why()).contains("raise it to 2.75");
    }

    @Test
    @DisplayName("SPEC BEY-4: fewer than 3 measured runs give no advice, and say why; never below 0.25 CU")
    void tooFewRunsAndFloor() {
        var two = List.of(new RightSizing.Run(1000, 1000, 0.1, 1L << 20), new RightSizing.Run(1000, 1000, 0.1, null),
                new RightSizing.Run(1000, 1000, 0.1, 1L << 20));
        var a = RightSizing.advise(two, 0, Prices.DEFAULTS);
        assertThat(a.advisedCu()).isNull();
        assertThat(a.why()).contains("at least 3");
        var tiny = List.of(new RightSizing.Run(1000, 1000, 0, 1L), new RightSizing.Run(1000, 1000, 0, 1L),
                new RightSizing.Run(1000, 1000, 0, 1L));
        assertThat(RightSizing.advise(tiny, 0, Prices.DEFAULTS).advisedCu()).isEqualTo(ComputeUnits.ofMilli(250));
    }
}
