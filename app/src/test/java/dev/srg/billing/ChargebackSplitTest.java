package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The exact split behind chargeback (SPEC BEY-5), without a database. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ChargebackSplitTest {
    @Test
    @DisplayName("SPEC BEY-5: every split adds up exactly to its total, each share within one micro-unit of its proportion (2000 seeded cases)")
    void splitsAreExact() {
        Random r = new Random(5);
        for (int c = 0; c < 2000; c++) {
            long total = r.nextInt(10) == 0 ? -r.nextLong(1_000_000_000L) : r.nextLong(1_000_000_000_000L);
            Map<String, Long> weights = new HashMap<>();
            int n = r.nextInt(6);
            for (int i = 0; i < n; i++) {
                weights.put("ws-" + i, r.nextInt(4) == 0 ? 0L : r.nextLong(1_000_000_000_000L));
            }
            Map<String, Long> out = Chargeback.split(total, weights);
            assertThat(out.values().stream().mapToLong(Long::longValue).sum()).as("case %d", c).isEqualTo(total);
            long sum = weights.values().stream().mapToLong(Long::longValue).sum();
            if (sum == 0) {
                assertThat(out).as("nobody used it: unattributed").containsOnlyKeys((String) null);
                continue;
            }
            for (var e : out.entrySet()) {
                BigDecimal exact = BigDecimal.valueOf(total).multiply(BigDecimal.valueOf(weights.get(e.getKey())))
                        .divide(BigDecimal.valueOf(sum), 6, RoundingMode.HALF_UP);
                assertThat(BigDecimal.valueOf(e.getValue()).subtract(exact).abs()).isLessThan(BigDecimal.ONE);
            }
        }
    }

    @Test
    @DisplayName("SPEC BEY-5: a line is split with its CU; an order by the month's use; an idle subscription stays unattributed")
    void allocate() {
        var rows = Chargeback.allocate(List.of(
                new Chargeback.Charge("payg", false, 100, 3_000, Map.of("a", 2L, "b", 1L)),
                new Chargeback.Charge("sub", true, 1_000, 0, Map.of("a", 1L, "b", 1L, "c", 1L)),
                new Chargeback.Charge("idle", true, 50, 0, Map.of())),
                List.of(new Chargeback.Usage("a", "payg", 2L), new Chargeback.Usage("b", "payg", 1L)));
        assertThat(rows).containsExactly(
                new Chargeback.Row("a", "payg", 2, 2_000, 0, 67),
                new Chargeback.Row("a", "sub", 0, 0, 334, 0),
                new Chargeback.Row("b", "payg", 1, 1_000, 0, 33),
                new Chargeback.Row("b", "sub", 0, 0, 333, 0),
                new Chargeback.Row("c", "sub", 0, 0, 333, 0),
                new Chargeback.Row(null, "idle", 0, 0, 50, 0));
    }
}
