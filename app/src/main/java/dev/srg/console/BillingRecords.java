package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Instant;

/**
 * Orders and bills as API.md names them ({@code GET /orders}, {@code GET /bills?from=&to=&resourceGroupId=}).
 * Items are whatever the billing feature's records are: the console shows them through their JSON
 * form (the same one the API answers with), so no mapping is needed when wiring.
 */
public interface BillingRecords {
    Page<?> orders(Principal caller, PageRequest page);

    Page<?> bills(Principal caller, Instant from, Instant to, String resourceGroupId, PageRequest page);
}
