package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * SPEC BEY-5: CU-hours and cost per workspace per calendar month (UTC), from the month's orders
 * and bill lines, split by {@link Chargeback}; as JSON and as CSV. Readers need {@code OrderAccess}
 * (as for orders and bills).
 */
public final class ChargebackReport {
    private static final BigDecimal MILLI_MS_PER_CU_HOUR = BigDecimal.valueOf(3_600_000_000L);

    private final Jdbi jdbi;
    private final Clock clock;
    private final Prices prices;

    public ChargebackReport(Jdbi jdbi, Clock clock, Prices prices) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.prices = requireNonNull(prices, "prices is null");
    }

    /**
     * One workspace's share on one group. {@code workspaceId} null: what no workspace used (an idle
     * subscription, or metered time no instance accounts for).
     *
     * @param cuHours CU x time its instances ran on the group in the month (rounded to 6 decimals)
     * @param meteredCuSeconds its share of the group's pay-as-you-go bill lines' CU (exact)
     * @param subscriptionCost its share of the group's orders placed in the month (exact)
     * @param payAsYouGoCost its share of the group's bill lines of the month (exact)
     */
    public record Row(String workspaceId, String workspaceName, String resourceGroupId, String resourceGroupName,
                      BigDecimal cuHours, BigDecimal meteredCuSeconds, Money subscriptionCost, Money payAsYouGoCost, Money cost) {}

    /** A workspace's rows added up. */
    public record WorkspaceTotal(String workspaceId, String workspaceName, BigDecimal cuHours, Money subscriptionCost,
                                 Money payAsYouGoCost, Money cost) {}

    /**
     * The month's report: {@code ordersTotal} and {@code billsTotal} are the orders and bill lines
     * of the month as the billing API sums them; the rows' costs add up to exactly these.
     */
    public record Info(String month, Instant from, Instant to, String currency, List<Row> rows, List<WorkspaceTotal> workspaces,
                       Money ordersTotal, Money billsTotal, BigDecimal billedCuSeconds, Money total) {}

    /** {@code month} as {@code YYYY-MM}; null: the current month. */
    public Info report(Principal caller, String month) {
        OrderBook.requireReader(caller);
        return month(parse(month));
    }

    /** A month's report for the server's own use (budgets, SPEC BEY-3): no caller to check. */
    public Info month(YearMonth m) {
        Instant from = m.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant to = m.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        Instant now = clock.instant();
        return jdbi.withHandle(h -> build(h, m, from, to, now));
    }

    private YearMonth parse(String month) {
        if (month == null || month.isBlank()) {
            return YearMonth.from(clock.instant().atZone(ZoneOffset.UTC));
        }
        try {
            YearMonth m = YearMonth.parse(month);
            if (m.getYear() < 1 || m.getYear() > 9998) {
                throw new DateTimeParseException("out of range", month, 0);
            }
            return m;
        } catch (DateTimeParseException e) {
            throw SrgException.invalid("month", "InvalidParameter.Month", "month must be a calendar month as YYYY-MM, e.g. 2026-11");
        }
    }

    private Info build(Handle h, YearMonth m, Instant from, Instant to, Instant now) {
        // what each workspace ran on each group in the month
        List<Chargeback.Usage> usage = h.createQuery("""
                SELECT workspace_id, resource_group_id,
                       sum(milli_cu * floor(extract(epoch FROM least(coalesce(finished_at, :now), :to) - greatest(started_at, :from)) * 1000))::bigint
                  FROM instances
                 WHERE started_at IS NOT NULL AND started_at < :to AND coalesce(finished_at, :now) > :from
                   AND least(coalesce(finished_at, :now), :to) > greatest(started_at, :from)
                 GROUP BY workspace_id, resource_group_id""")
                .bind("from", from).bind("to", to).bind("now", now)
                .map((rs, ctx) -> new Chargeback.Usage(rs.getString(1), rs.getString(2), rs.getLong(3))).list();
        Map<String, Map<String, Long>> monthWeights = new HashMap<>();
        for (Chargeback.Usage u : usage) {
            monthWeights.computeIfAbsent(u.resourceGroupId(), g -> new HashMap<>()).merge(u.workspaceId(), u.cuMilliMillis(), Long::sum);
        }
        List<Chargeback.Charge> charges = new ArrayList<>();
        // orders placed in the month: split by the month's use of their group
        h.createQuery("SELECT resource_group_id, amount_micros FROM orders WHERE created_at >= :from AND created_at < :to ORDER BY id")
                .bind("from", from).bind("to", to)
                .map((rs, ctx) -> charges.add(new Chargeback.Charge(rs.getString(1), true, rs.getLong(2), 0,
                        monthWeights.getOrDefault(rs.getString(1), Map.of()))))
                .list();
        // bill lines of the month: each split by its hour's use of its group
        Map<String, Map<String, Long>> hourWeights = new HashMap<>();
        h.createQuery("""
                SELECT l.id, i.workspace_id,
                       sum(i.milli_cu * floor(extract(epoch FROM least(coalesce(i.finished_at, :now), l.hour_start + interval '1 hour')
                           - greatest(i.started_at, l.hour_start)) * 1000))::bigint
                  FROM bill_lines l
                  JOIN instances i ON i.resource_group_id = l.resource_group_id AND i.started_at IS NOT NULL
                   AND i.started_at < l.hour_start + interval '1 hour' AND coalesce(i.finished_at, :now) > l.hour_start
                 WHERE l.hour_start >= :from AND l.hour_start < :to
                 GROUP BY l.id, i.workspace_id""")
                .bind("from", from).bind("to", to).bind("now", now)
                .map((rs, ctx) -> hourWeights.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), rs.getLong(3)))
                .list();
        long[] billed = new long[2];
        h.createQuery("""
                SELECT id, resource_group_id, amount_micros, cu_milli_millis FROM bill_lines
                 WHERE hour_start >= :from AND hour_start < :to ORDER BY id""")
                .bind("from", from).bind("to", to)
                .map((rs, ctx) -> {
                    billed[0] += rs.getLong(3);
                    billed[1] += rs.getLong(4);
                    return charges.add(new Chargeback.Charge(rs.getString(2), false, rs.getLong(3), rs.getLong(4),
                            hourWeights.getOrDefault(rs.getString(1), Map.of())));
                })
                .list();
        long ordersTotal = charges.stream().filter(Chargeback.Charge::subscription).mapToLong(Chargeback.Charge::amountMicros).sum();
        Map<String, String> workspaceNames = names(h, "workspaces");
        Map<String, String> groupNames = names(h, "resource_groups");
        List<Row> rows = new ArrayList<>();
        Map<String, long[]> perWorkspace = new LinkedHashMap<>();
        long total = 0;
        for (Chargeback.Row r : Chargeback.allocate(charges, usage)) {
            long cost = r.subscriptionMicros() + r.payAsYouGoMicros();
            total += cost;
            rows.add(new Row(r.workspaceId(), r.workspaceId() == null ? null : workspaceNames.get(r.workspaceId()),
                    r.resourceGroupId(), groupNames.get(r.resourceGroupId()), cuHours(r.usedCuMilliMillis()),
                    Meter.cuSeconds(r.meteredCuMilliMillis()), new Money(r.subscriptionMicros()), new Money(r.payAsYouGoMicros()),
                    new Money(cost)));
            long[] w = perWorkspace.computeIfAbsent(r.workspaceId() == null ? "" : r.workspaceId(), k -> new long[3]);
            w[0] += r.usedCuMilliMillis();
            w[1] += r.subscriptionMicros();
            w[2] += r.payAsYouGoMicros();
        }
        List<WorkspaceTotal> workspaces = new ArrayList<>();
        perWorkspace.forEach((id, w) -> workspaces.add(new WorkspaceTotal(id.isEmpty() ? null : id,
                id.isEmpty() ? null : workspaceNames.get(id), cuHours(w[0]), new Money(w[1]), new Money(w[2]), new Money(w[1] + w[2]))));
        return new Info(m.toString(), from, to, prices.currency(), rows, workspaces, new Money(ordersTotal), new Money(billed[0]),
                Meter.cuSeconds(billed[1]), new Money(total));
    }

    private static Map<String, String> names(Handle h, String table) {
        Map<String, String> out = new HashMap<>();
        h.createQuery("SELECT id, name FROM " + table).map((rs, ctx) -> out.put(rs.getString(1), rs.getString(2))).list();
        return out;
    }

    private static BigDecimal cuHours(long cuMilliMillis) {
        BigDecimal v = BigDecimal.valueOf(cuMilliMillis).divide(MILLI_MS_PER_CU_HOUR, 6, RoundingMode.HALF_UP).stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    /** The report as CSV (RFC 4180): one line per row, amounts exact, then a total line. */
    public static String csv(Info info) {
        StringBuilder out = new StringBuilder(
                "month,workspace_id,workspace_name,resource_group_id,resource_group_name,cu_hours,metered_cu_seconds,"
                        + "subscription_cost,pay_as_you_go_cost,cost,currency\r\n");
        for (Row r : info.rows()) {
            out.append(String.join(",", info.month(), field(r.workspaceId()), field(r.workspaceName()), field(r.resourceGroupId()),
                    field(r.resourceGroupName()), r.cuHours().toPlainString(), r.meteredCuSeconds().toPlainString(),
                    r.subscriptionCost().toString(), r.payAsYouGoCost().toString(), r.cost().toString(), info.currency()))
                    .append("\r\n");
        }
        return out.toString();
    }

    private static String field(String v) {
        if (v == null) {
            return "";
        }
        // quoted when needed; a leading =, +, - or @ is prefixed so that spreadsheets do not run it
        String safe = !v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
        return safe.matches("[A-Za-z0-9_.' -]*") ? safe : "\"" + safe.replace("\"", "\"\"") + "\"";
    }
}
