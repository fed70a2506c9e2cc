package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.group.BillingCycle;
import dev.srg.json.Json;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BillingMathTest {
    @Test
    @DisplayName("SPEC RG-9: a run split at hour boundaries sums exactly to CU x run time, in milli-CU x ms")
    void splitIsExact() {
        Random random = new Random(7);
        for (int i = 0; i < 1000; i++) {
            Instant from = Instant.ofEpochMilli(1_767_225_600_000L + random.nextLong(100L * 3_600_000));
            Instant to = from.plusMillis(random.nextLong(10L * 3_600_000));
            long milliCu = 250L * (1 + random.nextInt(256));
            Map<Instant, Long> hours = new TreeMap<>();
            MeterDecider.split(from, to, milliCu, hours);
            assertThat(hours.values().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(milliCu * (to.toEpochMilli() - from.toEpochMilli()));
            hours.forEach((hour, v) -> assertThat(v).isBetween(0L, milliCu * 3_600_000));
        }
    }

    @Test
    @DisplayName("a correction (end before the watermark) subtracts from the hours it covers")
    void negativeSplit() {
        Instant t = Instant.parse("2026-01-01T10:59:59.500Z");
        Map<Instant, Long> hours = new TreeMap<>();
        MeterDecider.split(t, t.plusSeconds(1), 1000, hours);
        MeterDecider.split(t.plusSeconds(1), t.plusMillis(700), 1000, hours);
        // 0.5 s in each hour, then the run turned out to end 0.3 s earlier: taken from the second hour
        assertThat(hours).containsEntry(Instant.parse("2026-01-01T10:00:00Z"), 500_000L)
                .containsEntry(Instant.parse("2026-01-01T11:00:00Z"), 200_000L);
    }

    @Test
    @DisplayName("prices: subscriptions per CU-month (years discounted), pay-as-you-go per CU-hour, scale-out prorated")
    void prices() {
        Prices p = Prices.DEFAULTS;
        assertThat(p.subscription(8000, new BillingCycle(BillingCycle.Unit.MONTH, 3))).isEqualTo(Money.parse("1200"));
        assertThat(p.subscription(2000, new BillingCycle(BillingCycle.Unit.YEAR, 1))).isEqualTo(Money.parse("1020"));
        assertThat(Prices.usage(1000L * 3_600_000, p.payAsYouGoCuHour())).isEqualTo(Money.parse("0.12"));
        assertThat(Prices.usage(250L * 1000, p.payAsYouGoCuHour())).isEqualTo(Money.parse("0.000008"));
        // half of a paid 30-day month (April) ahead: 4 CU x 50 / 2
        Instant at = Instant.parse("2026-04-16T00:00:00Z");
        var april = List.of(new dev.srg.group.PaidPeriod(Instant.parse("2026-04-01T00:00:00Z"), Instant.parse("2026-05-01T00:00:00Z"),
                new BillingCycle(BillingCycle.Unit.MONTH, 1)));
        assertThat(p.scaleOut(4000, at, Instant.parse("2026-05-01T00:00:00Z"), april)).isEqualTo(Money.parse("100"));
        assertThat(p.scaleOut(4000, at, at, april)).isEqualTo(Money.ZERO);
    }

    @Test
    @DisplayName("money is exact and crosses JSON as a plain number")
    void money() {
        assertThat(Json.write(Money.parse("12.5"))).isEqualTo("12.50");
        assertThat(Json.write(Money.parse("0.000008"))).isEqualTo("0.000008");
        assertThat(Json.write(Money.parse("100"))).isEqualTo("100.00");
        assertThatThrownBy(() -> Money.parse("0.0000001")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Money.ofMicros(new BigDecimal("2.5"))).isEqualTo(new Money(3));
    }

    @Test
    @DisplayName("a prices file is read, and every mistake in it is reported at once")
    void pricesFile(@TempDir Path dir) throws Exception {
        Path good = Files.writeString(dir.resolve("good.properties"),
                "currency=EUR\nsubscription-cu-month=40\npay-as-you-go-cu-hour=0.1\nyear-discount-percent=20\n");
        List<String> problems = new ArrayList<>();
        assertThat(Prices.load(good, problems)).isEqualTo(new Prices("EUR", Money.parse("40"), Money.parse("0.1"), 20));
        assertThat(problems).isEmpty();
        Path bad = Files.writeString(dir.resolve("bad.properties"), "currency=euro\npay-as-you-go-cu-hour=abc\ncolour=red\n");
        Prices.load(bad, problems);
        assertThat(problems).hasSize(3);
    }
}
