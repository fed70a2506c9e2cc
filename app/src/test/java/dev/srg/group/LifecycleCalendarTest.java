package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Subscriptions over calendar months on the simulated clock (SPEC RG-3, RG-5, RG-9): purchases on
 * the 31st, on Feb 29, at the last second of a day, a year of auto-renewals, scale-outs in months
 * of 28 to 31 days and in a year. Every amount is checked against a reference computed here, by
 * hand, from the group's own times (the clock runs on while a test runs, so the exact moment of a
 * purchase is read from its order).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@SimulatedClock(shortUsageRetention = true)
class LifecycleCalendarTest extends ServerTestBase {
    private static final BigDecimal CU_MONTH = new BigDecimal("50");

    /** Moves the clock to within a second before {@code target} (it never reaches past it). */
    static void advanceTo(Instant target) {
        long millis = Duration.between(now(), target).toMillis();
        assertThat(millis).as("the clock is already past " + target).isGreaterThanOrEqualTo(0);
        advance(Duration.ofSeconds(millis / 1000));
    }

    /** The first {@code month}/{@code day} at {@code hh:mm:ss} UTC at least two days from now, in a leap year if asked. */
    static Instant next(int month, int day, int hh, int mm, int ss, boolean leap) {
        Instant after = now().plus(Duration.ofDays(2));
        for (int y = after.atOffset(ZoneOffset.UTC).getYear(); ; y++) {
            if (leap && !Year.isLeap(y)) {
                continue;
            }
            Instant t = LocalDateTime.of(y, month, day, hh, mm, ss).toInstant(ZoneOffset.UTC);
            if (t.isAfter(after)) {
                return t;
            }
        }
    }

    static Instant time(JsonNode n, String field) {
        return Instant.parse(n.get(field).asString());
    }

    static LocalDateTime utc(Instant t) {
        return LocalDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    static JsonNode buy(int specCu, String unit, int count, boolean autoRenew) {
        Map<String, Object> body = fx.subscriptionBody(fx.network(), specCu);
        body.put("billingCycle", Map.of("unit", unit, "count", count));
        body.put("autoRenew", autoRenew);
        var r = admin.post("resource-groups", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return fx.awaitRunning(r.id());
    }

    static List<JsonNode> orders(String groupId, String type) {
        List<JsonNode> items = new ArrayList<>();
        admin.get("orders?pageSize=1000&resourceGroupId=" + groupId + "&type=" + type).json().get("items").forEach(items::add);
        return items;
    }

    static JsonNode scale(String id, int specCu) {
        var r = admin.post("resource-groups/" + id + "/scale", Map.of("specCu", specCu));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        advance(Duration.ofSeconds(31));
        return r.json().get("order");
    }

    /** The reference: {@code price} for [at, end) of a period [start, end), half up to the micro-unit. */
    static BigDecimal share(BigDecimal price, Instant start, Instant at, Instant end) {
        return price.multiply(BigDecimal.valueOf(Duration.between(at, end).toMillis()))
                .divide(BigDecimal.valueOf(Duration.between(start, end).toMillis()), 6, RoundingMode.HALF_UP);
    }

    @Test
    @DisplayName("SPEC RG-5: a scale-out right after a purchase in a 31-day month costs the added CUs' month, not 31/30 of it")
    void scaleOutInALongMonth() {
        advanceTo(next(1, 1, 0, 0, 0, false));
        JsonNode g = buy(2, "MONTH", 1, false);
        String id = g.get("id").asString();
        Instant start = time(g, "createdAt");
        Instant expires = time(g, "expiresAt");
        assertThat(Duration.between(start, expires)).isEqualTo(Duration.ofDays(31));
        assertThat(orders(id, "CREATE").getFirst().get("amount").decimalValue()).isEqualByComparingTo("100.00");

        JsonNode order = scale(id, 4);
        Instant at = time(order, "createdAt");
        // 2 CU x 50 for the month, times the share of its 31 days left: at most 100.00, never 103.33
        BigDecimal expected = share(CU_MONTH.multiply(BigDecimal.TWO), start, at, expires);
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo(expected).isLessThanOrEqualTo(new BigDecimal("100.00"));
        assertThat(expected).isGreaterThan(new BigDecimal("99.99"));
    }

    @Test
    @DisplayName("SPEC RG-5: in a 28-day February, half the month left costs half the month's price")
    void scaleOutInFebruary() {
        advanceTo(next(2, 1, 0, 0, 0, false));
        JsonNode g = buy(2, "MONTH", 1, false);
        String id = g.get("id").asString();
        Instant start = time(g, "createdAt");
        Instant expires = time(g, "expiresAt");
        advanceTo(start.plus(Duration.between(start, expires).dividedBy(2)));
        JsonNode order = scale(id, 3);
        BigDecimal expected = share(CU_MONTH, start, time(order, "createdAt"), expires);
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo(expected);
        // about 25.00 (half of 1 CU's month), whether February has 28 or 29 days; 30-day months would say 23.33 or 24.17
        assertThat(expected).isBetween(new BigDecimal("24.99"), new BigDecimal("25.01"));
    }

    @Test
    @DisplayName("SPEC RG-5: a scale-out of a yearly subscription keeps the year's discount: the added CUs cost their share of a year")
    void scaleOutOfAYear() {
        JsonNode g = buy(2, "YEAR", 1, false);
        String id = g.get("id").asString();
        Instant start = time(g, "createdAt");
        Instant expires = time(g, "expiresAt");
        assertThat(utc(expires)).isEqualTo(utc(start).plusYears(1));
        assertThat(orders(id, "CREATE").getFirst().get("amount").decimalValue()).isEqualByComparingTo("1020.00"); // 2 x 50 x 12 x 85 %
        advance(Duration.ofDays(73));
        JsonNode order = scale(id, 4);
        BigDecimal expected = share(new BigDecimal("1020.00"), start, time(order, "createdAt"), expires);
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo(expected);
        // 2 CU for about 292 of 365 or 366 days: about 815, where 30-day months at the monthly price said about 973
        assertThat(expected).isBetween(new BigDecimal("810"), new BigDecimal("820"));
    }

    @Test
    @DisplayName("SPEC RG-5: a scale-out over a month and a year renewed ahead is priced per paid period, each by its own cycle")
    void scaleOutOverRenewedPeriods() {
        JsonNode g = buy(2, "MONTH", 1, false);
        String id = g.get("id").asString();
        Instant start = time(g, "createdAt");
        Instant expires = time(g, "expiresAt");
        var renew = admin.post("resource-groups/" + id + "/renew", Map.of("billingCycle", Map.of("unit", "YEAR", "count", 1)));
        assertThat(renew.status()).as(renew.toString()).isEqualTo(200);
        JsonNode renewal = renew.json().get("order");
        assertThat(time(renewal, "periodStart")).isEqualTo(expires);
        Instant yearEnd = time(renewal, "periodEnd");
        advance(Duration.ofDays(10));
        JsonNode order = scale(id, 3);
        Instant at = time(order, "createdAt");
        // 1 CU: what is left of the month at 50.00 a month, and the whole year ahead at 510.00
        BigDecimal expected = CU_MONTH.multiply(BigDecimal.valueOf(Duration.between(at, expires).toMillis()))
                .divide(BigDecimal.valueOf(Duration.between(start, expires).toMillis()), 12, RoundingMode.HALF_UP)
                .add(new BigDecimal("510")).setScale(6, RoundingMode.HALF_UP);
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo(expected);
        assertThat(time(order, "periodEnd")).isEqualTo(yearEnd);
    }
    @Test
    @DisplayName("SPEC RG-3: bought on Jan 31 in the day's last minute with auto-renew, a year of monthly renewals ends on each month's last day, then on Jan 31")
    void aYearOfAutoRenewalsFromJanuary31() {
        advanceTo(next(1, 31, 23, 59, 30, false));
        JsonNode g = buy(2, "MONTH", 1, true);
        String id = g.get("id").asString();
        LocalDateTime start = utc(time(g, "createdAt"));
        assertThat(start.toLocalDate().getDayOfMonth()).isEqualTo(31);
        LocalTime at = start.toLocalTime();
        // the reference, by hand: the k-th month ends on the last day of the k-th month after January
        List<Instant> ends = new ArrayList<>();
        for (int k = 1; k <= 12; k++) {
            ends.add(YearMonth.from(start).plusMonths(k).atEndOfMonth().atTime(at).toInstant(ZoneOffset.UTC));
        }
        assertThat(time(g, "expiresAt")).isEqualTo(ends.getFirst()); // Feb 28 or 29
        assertThat(orders(id, "CREATE").getFirst().get("amount").decimalValue()).isEqualByComparingTo("100.00");

        // one jump to the next January: every month between is renewed, each once, a day before it ends
        advanceTo(ends.get(10).minus(Duration.ofDays(1)).plus(Duration.ofHours(1)));
        List<JsonNode> renewals = orders(id, "AUTO_RENEW");
        assertThat(renewals).hasSize(11);
        Instant previous = ends.getFirst();
        for (int k = 0; k < renewals.size(); k++) {
            JsonNode o = renewals.get(k);
            assertThat(time(o, "periodStart")).as("renewal %d", k + 1).isEqualTo(previous);
            assertThat(time(o, "periodEnd")).as("renewal %d", k + 1).isEqualTo(ends.get(k + 1));
            assertThat(o.get("amount").decimalValue()).isEqualByComparingTo("100.00");
            previous = time(o, "periodEnd");
        }
        JsonNode renewed = admin.get("resource-groups/" + id).json();
        assertThat(renewed.get("status").asString()).isEqualTo("RUNNING");
        assertThat(utc(time(renewed, "expiresAt"))).isEqualTo(start.plusYears(1)); // Jan 31 again: a year paid is a year
    }

    @Test
    @DisplayName("SPEC RG-3, RG-8: bought Mar 31 for a month: Apr 30; renewed ahead: May 31; EXPIRED then, RELEASED 15 days later")
    void aMonthFromMarch31RenewedAheadThenExpiredAndReleased() {
        advanceTo(next(3, 31, 12, 0, 0, false));
        JsonNode g = buy(3, "MONTH", 1, false);
        String id = g.get("id").asString();
        LocalDateTime start = utc(time(g, "createdAt"));
        LocalDateTime april30 = start.withDayOfMonth(1).plusMonths(1).withDayOfMonth(30);
        assertThat(utc(time(g, "expiresAt"))).isEqualTo(april30);
        advance(Duration.ofDays(20));
        var renew = admin.post("resource-groups/" + id + "/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1)));
        assertThat(renew.status()).as(renew.toString()).isEqualTo(200);
        JsonNode order = renew.json().get("order");
        assertThat(order.get("amount").decimalValue()).isEqualByComparingTo("150.00");
        LocalDateTime may31 = april30.plusDays(31);
        assertThat(utc(time(order, "periodStart"))).isEqualTo(april30);
        assertThat(utc(time(order, "periodEnd"))).isEqualTo(may31);
        Instant expires = time(renew.json().get("resourceGroup"), "expiresAt");
        assertThat(utc(expires)).isEqualTo(may31);

        advanceTo(expires.minusSeconds(2));
        assertThat(admin.get("resource-groups/" + id).json().get("status").asString()).isEqualTo("RUNNING");
        advance(Duration.ofSeconds(3));
        assertThat(admin.get("resource-groups/" + id).json().get("status").asString()).isEqualTo("EXPIRED");
        advanceTo(expires.plus(Duration.ofDays(15)).minusSeconds(2));
        assertThat(admin.get("resource-groups/" + id).json().get("status").asString()).isEqualTo("EXPIRED");
        advance(Duration.ofSeconds(3));
        assertThat(admin.get("resource-groups/" + id).json().get("status").asString()).isEqualTo("RELEASED");
    }

    @Test
    @DisplayName("SPEC RG-3: a year bought on Feb 29 ends on Feb 28; renewed ahead for 3 more years it ends on Feb 29 again, 4 years on")
    void aYearFromFebruary29() {
        advanceTo(next(2, 29, 8, 0, 0, true));
        JsonNode g = buy(2, "YEAR", 1, false);
        String id = g.get("id").asString();
        LocalDateTime start = utc(time(g, "createdAt"));
        assertThat(start.getDayOfMonth()).isEqualTo(29);
        assertThat(utc(time(g, "expiresAt"))).isEqualTo(start.plusYears(1).withDayOfMonth(28));
        assertThat(orders(id, "CREATE").getFirst().get("amount").decimalValue()).isEqualByComparingTo("1020.00");
        var renew = admin.post("resource-groups/" + id + "/renew", Map.of("billingCycle", Map.of("unit", "YEAR", "count", 3)));
        assertThat(renew.status()).as(renew.toString()).isEqualTo(200);
        assertThat(renew.json().get("order").get("amount").decimalValue()).isEqualByComparingTo("3060.00");
        assertThat(utc(time(renew.json().get("resourceGroup"), "expiresAt"))).isEqualTo(start.plusYears(4)); // Feb 29 of the next leap year
    }
}
