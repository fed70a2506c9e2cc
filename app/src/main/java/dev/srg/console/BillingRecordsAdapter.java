package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.billing.BillLineInfo;
import dev.srg.billing.BillSummary;
import dev.srg.billing.Meter;
import dev.srg.billing.OrderBook;
import dev.srg.billing.OrderInfo;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Instant;

/** {@link BillingRecords} on the order book and the meter, as {@code GET /orders} and {@code GET /bills} read them. */
public final class BillingRecordsAdapter implements BillingRecords {
    private final OrderBook orders;
    private final Meter meter;

    public BillingRecordsAdapter(OrderBook orders, Meter meter) {
        this.orders = requireNonNull(orders, "orders is null");
        this.meter = requireNonNull(meter, "meter is null");
    }

    @Override
    public Page<OrderInfo> orders(Principal caller, String resourceGroupId, PageRequest page) {
        return orders.list(caller, resourceGroupId, null, null, null, page);
    }

    @Override
    public Page<BillLineInfo> bills(Principal caller, Instant from, Instant to, String resourceGroupId, PageRequest page) {
        return meter.lines(caller, from, to, resourceGroupId, page);
    }

    @Override
    public BillSummary billTotal(Principal caller, Instant from, Instant to, String resourceGroupId) {
        return meter.summary(caller, from, to, resourceGroupId);
    }
}
