package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.group.BillingCycle;
import dev.srg.group.BillingMode;
import dev.srg.group.Purchase;
import dev.srg.group.PurchaseLedger;
import dev.srg.group.PurchaseType;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** Orders (SPEC RG-9): every purchase priced at the current price list and recorded with the change it pays for. */
public final class OrderBook implements PurchaseLedger {
    private static final String COLUMNS = """
            id, resource_group_id, type, billing_mode, spec_milli_cu, delta_milli_cu, cycle_unit, cycle_count,
            period_start, period_end, amount_micros, currency, created_by, created_at, detail""";
    private final Jdbi jdbi;
    private final Prices prices;

    public OrderBook(Jdbi jdbi, Prices prices) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.prices = requireNonNull(prices, "prices is null");
    }

    public Prices prices() {
        return prices;
    }

    /** The price of a purchase: a pure function of what was bought and the price list. */
    public Money price(Purchase p) {
        return switch (p.type()) {
            case CREATE -> p.billingMode() == BillingMode.PAY_AS_YOU_GO ? Money.ZERO : prices.subscription(p.specCu().milli(), p.cycle());
            case RENEW, AUTO_RENEW, CONVERT -> prices.subscription(p.specCu().milli(), p.cycle());
            // the decider always names the paid periods (one of the group's cycle to its expiry when its orders say none)
            case SCALE_OUT -> prices.scaleOut(p.specCu().milli() - p.previousSpecCu().milli(), p.at(), p.periodEnd(), p.paidAhead());
            // scale-in refunds nothing: the spec is lowered for the rest of the period already paid
            case SCALE_IN -> Money.ZERO;
        };
    }

    @Override
    public long priceMicros(Purchase p) {
        return price(p).micros();
    }

    @Override
    public String currency() {
        return prices.currency();
    }

    @Override
    public String record(Handle h, Purchase p) {
        String id = Ids.next("ord", p.at().toEpochMilli());
        Long delta = p.previousSpecCu() == null ? null : p.specCu().milli() - p.previousSpecCu().milli();
        h.createUpdate("INSERT INTO orders (" + COLUMNS + """
                ) VALUES (:id, :rg, :type, :mode, :spec, :delta, :unit, :count, :start, :end, :amount, :currency, :by, :at, :detail)""")
                .bind("id", id).bind("rg", p.resourceGroupId()).bind("type", p.type().name())
                .bind("mode", p.billingMode().name()).bind("spec", p.specCu() == null ? null : p.specCu().milli())
                .bind("delta", delta).bind("unit", p.cycle() == null ? null : p.cycle().unit().name())
                .bind("count", p.cycle() == null ? null : p.cycle().count()).bind("start", p.periodStart())
                .bind("end", p.periodEnd()).bind("amount", price(p).micros()).bind("currency", prices.currency())
                .bind("by", p.buyer()).bind("at", p.at()).bind("detail", p.detail())
                .execute();
        return id;
    }

    public OrderInfo get(Principal caller, String id) {
        requireReader(caller);
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM orders WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> row(rs)).findOne()).orElseThrow(() -> SrgException.notFound("Order", id));
    }

    public Page<OrderInfo> list(Principal caller, String groupId, PurchaseType type, Instant from, Instant to, PageRequest page) {
        requireReader(caller);
        return jdbi.withHandle(h -> page.page(h.createQuery("SELECT " + COLUMNS + """
                 FROM orders
                WHERE id > :after
                  AND (CAST(:rg AS text) IS NULL OR resource_group_id = :rg)
                  AND (CAST(:type AS text) IS NULL OR type = :type)
                  AND (CAST(:from AS timestamptz) IS NULL OR created_at >= :from)
                  AND (CAST(:to AS timestamptz) IS NULL OR created_at < :to)
                ORDER BY id LIMIT :limit""")
                .bind("after", page.afterId()).bind("rg", groupId).bind("type", type == null ? null : type.name())
                .bind("from", from).bind("to", to).bind("limit", page.limit())
                .map((rs, ctx) -> row(rs)).list(), OrderInfo::id));
    }

    /** Orders and bills are read by buyers: OrderAccess (administrators hold every policy). */
    static void requireReader(Principal caller) {
        caller.requireAll("read orders and bills", Policy.OrderAccess);
    }

    private static OrderInfo row(ResultSet rs) throws SQLException {
        long spec = rs.getLong("spec_milli_cu");
        ComputeUnits specCu = rs.wasNull() ? null : ComputeUnits.ofMilli(spec);
        long delta = rs.getLong("delta_milli_cu");
        ComputeUnits previous = rs.wasNull() || specCu == null ? null : ComputeUnits.ofMilli(spec - delta);
        String unit = rs.getString("cycle_unit");
        BillingCycle cycle = unit == null ? null : new BillingCycle(BillingCycle.Unit.valueOf(unit), rs.getInt("cycle_count"));
        return new OrderInfo(rs.getString("id"), rs.getString("resource_group_id"), PurchaseType.valueOf(rs.getString("type")),
                BillingMode.valueOf(rs.getString("billing_mode")), specCu, previous, cycle,
                instant(rs.getTimestamp("period_start")), instant(rs.getTimestamp("period_end")),
                new Money(rs.getLong("amount_micros")), rs.getString("currency"), "PAID", rs.getString("created_by"),
                rs.getTimestamp("created_at").toInstant(), rs.getString("detail"));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
