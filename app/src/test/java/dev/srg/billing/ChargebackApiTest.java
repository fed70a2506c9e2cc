package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** SPEC BEY-5: chargeback per workspace per month, summing exactly to the month's orders and bill lines. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SimulatedClock
class ChargebackApiTest extends ServerTestBase {
    private static String run(String ws, String group, String script, double cu) {
        Map<String, Object> b = new HashMap<>();
        b.put("workspaceId", ws);
        b.put("resourceGroupId", group);
        b.put("type", "SHELL");
        b.put("script", script);
        b.put("cu", cu);
        var r = admin.post("instances", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static void awaitEnd(List<String> ids) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> ids.stream()
                .allMatch(id -> Set.of("SUCCEEDED", "FAILED").contains(admin.get("instances/" + id).json().get("status").asString())));
    }

    private static BigDecimal sum(JsonNode items, String field) {
        BigDecimal s = BigDecimal.ZERO;
        for (JsonNode i : items) {
            s = s.add(i.get(field).decimalValue());
        }
        return s;
    }

    @Test
    @DisplayName("SPEC BEY-5: the rows add up exactly to the month's orders and bill lines, in JSON and in CSV")
    void rowsAddUpToTheBills() {
        String sub = fx.subscriptionGroup(2).get("id").asString();
        String payg = fx.payAsYouGoGroup(4).get("id").asString();
        String idle = fx.subscriptionGroup(2).get("id").asString();
        String a = fx.workspace(payg).get("id").asString();
        String b = fx.workspace(payg).get("id").asString();
        for (String ws : List.of(a, b)) {
            assertThat(admin.post("workspaces/" + ws + "/resource-groups", Map.of("resourceGroupId", sub)).status()).isLessThan(300);
        }
        // pay-as-you-go: tasks that run while the clock moves 40 minutes (hours of CU), in two workspaces
        List<String> ids = List.of(run(a, payg, "sleep 3", 2), run(b, payg, "sleep 3", 1), run(a, sub, "sleep 2", 1),
                run(b, sub, "sleep 2", 0.5));
        server.advanceClock(Duration.ofMinutes(40));
        awaitEnd(ids);
        awaitEnd(List.of(run(b, payg, "true", 0.25)));
        server.advanceClock(Duration.ofMinutes(61)); // the hour is over: its line is complete
        server.runBackgroundJobs();

        Set<YearMonth> months = new LinkedHashSet<>();
        for (JsonNode o : admin.get("orders?pageSize=1000").json().get("items")) {
            months.add(YearMonth.from(Instant.parse(o.get("createdAt").asString()).atZone(ZoneOffset.UTC)));
        }
        months.add(YearMonth.from(server.advanceClock(Duration.ZERO).atZone(ZoneOffset.UTC)));
        boolean sawPayg = false;
        for (YearMonth m : months) {
            String from = m.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toString();
            String to = m.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toString();
            var r = admin.get("chargeback?month=" + m);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            JsonNode report = r.json();
            JsonNode rows = report.get("rows");
            BigDecimal orders = sum(admin.get("orders?pageSize=1000&from=" + from + "&to=" + to).json().get("items"), "amount");
            JsonNode bills = admin.get("bills/summary?from=" + from + "&to=" + to).json();
            // SPEC BEY-5: exactly, to the micro-unit
            assertThat(sum(rows, "subscriptionCost")).isEqualByComparingTo(orders);
            assertThat(report.get("ordersTotal").decimalValue()).isEqualByComparingTo(orders);
            assertThat(sum(rows, "payAsYouGoCost")).isEqualByComparingTo(bills.get("amount").decimalValue());
            assertThat(report.get("billsTotal").decimalValue()).isEqualByComparingTo(bills.get("amount").decimalValue());
            assertThat(sum(rows, "meteredCuSeconds")).isEqualByComparingTo(bills.get("cuSeconds").decimalValue());
            assertThat(sum(rows, "cost")).isEqualByComparingTo(orders.add(bills.get("amount").decimalValue()));
            assertThat(report.get("total").decimalValue()).isEqualByComparingTo(orders.add(bills.get("amount").decimalValue()));
            assertThat(sum(report.get("workspaces"), "cost")).isEqualByComparingTo(report.get("total").decimalValue());
            if (bills.get("amount").decimalValue().signum() > 0) {
                sawPayg = true;
                // both workspaces pay their share of the pay-as-you-go group, a by its 2 CU more than b by its 1
                BigDecimal pa = BigDecimal.ZERO;
                BigDecimal pb = BigDecimal.ZERO;
                for (JsonNode row : rows) {
                    if (payg.equals(row.path("resourceGroupId").asString())) {
                        if (a.equals(row.path("workspaceId").asString())) {
                            pa = row.get("payAsYouGoCost").decimalValue();
                        } else if (b.equals(row.path("workspaceId").asString())) {
                            pb = row.get("payAsYouGoCost").decimalValue();
                        }
                    }
                }
                assertThat(pa).isGreaterThan(pb);
                assertThat(pb).isPositive();
            }
            // the idle subscription's order is nobody's: a row without a workspace
            if (orders.signum() > 0 && m.equals(months.iterator().next())) {
                assertThat(rows.valueStream().anyMatch(row -> !row.hasNonNull("workspaceId") && idle.equals(row.get("resourceGroupId")
                        .asString()))).as(rows.toString()).isTrue();
            }

            var csv = admin.get("chargeback.csv?month=" + m);
            assertThat(csv.status()).isEqualTo(200);
            assertThat(csv.contentType()).startsWith("text/csv");
            List<String> lines = csv.text().lines().toList();
            assertThat(lines.getFirst()).startsWith("month,workspace_id");
            assertThat(lines).hasSize(rows.size() + 1);
            BigDecimal csvCost = BigDecimal.ZERO;
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                csvCost = csvCost.add(new BigDecimal(f[9]));
            }
            assertThat(csvCost).isEqualByComparingTo(report.get("total").decimalValue());
        }
        assertThat(sawPayg).isTrue();
    }

    @Test
    @DisplayName("SPEC BEY-5: chargeback needs OrderAccess; a bad month is 400 naming the field")
    void access() {
        assertThat(fx.user().http().get("chargeback").status()).isEqualTo(403);
        var bad = admin.get("chargeback?month=2026-13");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.field()).isEqualTo("month");
        assertThat(admin.get("chargeback").status()).isEqualTo(200);
    }
}
