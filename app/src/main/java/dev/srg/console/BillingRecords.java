package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.billing.BillLineInfo;
import dev.srg.billing.BillSummary;
import dev.srg.billing.OrderInfo;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Instant;

/**
 * Orders and bills as API.md names them ({@code GET /orders}, {@code GET /bills?from=&to=&resourceGroupId=},
 * and {@code GET /bills/summary}); a null filter selects everything the caller may read.
 */
public interface BillingRecords {
    Page<OrderInfo> orders(Principal caller, String resourceGroupId, PageRequest page);

    Page<BillLineInfo> bills(Principal caller, Instant from, Instant to, String resourceGroupId, PageRequest page);

    BillSummary billTotal(Principal caller, Instant from, Instant to, String resourceGroupId);
}
